"""Administrators only: staff accounts (create, password, role, active, unlock) and the
audit log. Other staff get 403."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from staff_console import auth, queries
from staff_console.blueprints.common import admin_required, audit, database

bp = Blueprint("admin", __name__)


@bp.get("/audit")
@admin_required
def audit_page():
    try:
        page_no = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page_no = 1
    user = request.args.get("user", "")[:64]
    action = request.args.get("action", "")[:40]
    rows, more = queries.audit_page(database(), page_no, user, action)
    return render_template("audit.html", rows=rows, more=more, page=page_no, user=user, action=action)


@bp.get("/users")
@admin_required
def users_page():
    db = database()
    locked = {u.username: auth.locked_until(db, u.username) for u in auth.list_users(db)}
    return render_template("users.html", users=auth.list_users(db), locked=locked,
                           min_password=auth.MIN_PASSWORD)


def _target_user() -> auth.User:
    try:
        user = auth.get_user(database(), int(request.form.get("user_id", "")))
    except ValueError:
        user = None
    if user is None:
        abort(404, description="このユーザーは見つかりません。")
    return user


def _back():
    return redirect(url_for("admin.users_page"), code=303)


@bp.post("/users/create")
@admin_required
def user_create():
    db = database()
    username = request.form.get("username", "")
    try:
        if any(u.username.lower() == username.strip().lower() for u in auth.list_users(db)):
            raise auth.AccountError("そのユーザー名はすでに使われています")
        user, _ = auth.set_account(db, username, request.form.get("password", ""),
                                   request.form.get("admin") == "1")
    except auth.AccountError as exc:
        flash(str(exc), "error")
        return _back()
    audit("create_user", user.username, {"admin": user.is_admin})
    flash(f"ユーザー「{user.username}」を作成しました。")
    return _back()


@bp.post("/users/password")
@admin_required
def user_password():
    user = _target_user()
    try:
        auth.set_account(database(), user.username, request.form.get("password", ""), None, reactivate=False)
    except auth.AccountError as exc:
        flash(str(exc), "error")
        return _back()
    audit("reset_password", user.username)
    flash(f"「{user.username}」のパスワードを変更しました（ログイン中の画面はログアウトされます）。")
    return _back()


@bp.post("/users/admin")
@admin_required
def user_admin():
    user = _target_user()
    value = request.form.get("value") == "1"
    if user.id == g.user.id and not value:
        flash("自分の管理者権限は外せません（ほかの管理者に依頼してください）。", "error")
    else:
        auth.update_user(database(), user.id, is_admin=value)
        audit("set_admin", user.username, {"admin": value})
        flash(f"「{user.username}」を{'管理者に' if value else 'スタッフに'}しました。")
    return _back()


@bp.post("/users/active")
@admin_required
def user_active():
    user = _target_user()
    value = request.form.get("value") == "1"
    if user.id == g.user.id and not value:
        flash("自分のアカウントは無効にできません。", "error")
    else:
        auth.update_user(database(), user.id, is_active=value)
        audit("set_active", user.username, {"active": value})
        flash(f"「{user.username}」を{'有効' if value else '無効'}にしました。")
    return _back()


@bp.post("/users/unlock")
@admin_required
def user_unlock():
    user = _target_user()
    auth.unlock(database(), user.username)
    audit("unlock_user", user.username)
    flash(f"「{user.username}」のロックを解除しました。")
    return _back()
