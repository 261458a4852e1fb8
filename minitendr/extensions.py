"""Extensions, created unbound; ``create_app`` binds them to an application."""

from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from minitendr.db import db

bootstrap = Bootstrap5()
csrf = CSRFProtect()
login_manager = LoginManager()
migrate = Migrate()
# No default limits: only the routes that need one (login) are limited.
limiter = Limiter(key_func=get_remote_address, default_limits=[])

__all__ = ["bootstrap", "csrf", "db", "limiter", "login_manager", "migrate"]
