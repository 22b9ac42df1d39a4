"""Rasa SDK custom actions: slots in, debt_rules call, Japanese out.

rasa-sdk imports every module here at start-up, so nothing here opens a connection or
loads data at import time; debt_rules loads its data lazily, once per process.
"""
