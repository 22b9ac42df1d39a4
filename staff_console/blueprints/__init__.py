"""The console's routes, one Flask blueprint per area (registered by staff_console.app):

| blueprint | module | routes |
|---|---|---|
| ``auth`` | auth.py | /login, /logout, /healthz, /favicon.ico (the public ones) |
| ``conversations`` | conversations.py | /, /conversations (list and search), /conversations/<id>, /queue, /dashboard |
| ``review`` | review.py | /review/* (marks, tags, notes, corrections), /corrections, /corrections/delete |
| ``bookings`` | bookings.py | /bookings, /bookings/<ref>, /bookings/<ref>/status |
| ``admin`` | admin.py | /users, /users/*, /audit (administrators only) |
| ``exports`` | exports.py | /export/conversations, /export/bookings, /corrections/export |

What every request goes through (login, CSRF, security headers) is in common.py. The
package imports nothing itself: staff_console/app.py registers the blueprints, so a
blueprint module importing common.py never goes through a half-imported package.
"""
