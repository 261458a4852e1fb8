"""Tests against the application really served: gunicorn on loopback, a real browser, concurrent
clients, killed workers. The helpers in ``server`` prepare a database of their own and start gunicorn
with the test-only entry point ``tests.live.wsgi``."""
