"""Login, logout, account settings and the private feed link.

User administration (accounts with their department) adds its routes to this blueprint from
app/departments/staff_views.py.
"""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from app.accounts import operations
from app.accounts.access import public
from app.accounts.forms import AccountForm, ConfirmForm, LoginForm, PasswordForm
from app.accounts.models import User, check_password_of
from app.accounts.signals import logged_in, logged_out, login_failed
from app.errors import ValidationError
from app.extensions import db, limiter
from app.form_errors import apply_errors

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Return a local redirect target, never another host."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("events.index")


def _login_limit() -> str:
    """Return the configured login rate limit."""
    return current_app.config["LOGIN_RATE_LIMIT"]


def _email_key() -> str:
    """Rate-limit key per attempted account, so one address cannot be guessed from many IPs."""
    return "login:" + (request.form.get("email") or "").strip().lower()


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_email_key)
def login():
    """Show the login form and log the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("events.index"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(select(User).filter_by(email=email))
        if check_password_of(user, form.password.data):  # as slow for unknown addresses
            session.clear()  # a fresh session id against fixation
            login_user(user, remember=form.remember.data)
            logged_in.send(current_app._get_current_object(), user=user)
            return redirect(_safe_next(request.args.get("next")))
        # The typed text is never passed on: it may be a password typed into the email field.
        login_failed.send(current_app._get_current_object(), user=user)
        form.password.errors.append(_("Email or password is wrong."))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    """Log out everywhere (POST only, with CSRF token): copies of the session stop working."""
    user = current_user._get_current_object()
    logged_out.send(current_app._get_current_object(), user=user)
    operations.end_sessions(user)
    session.clear()
    logout_user()  # after clear(): it marks the remember cookie for deletion in the session
    flash(_("You are logged out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
def account():
    """Show the user's settings and private calendar feed address."""
    form = AccountForm(obj=current_user)
    if form.validate_on_submit():
        current_user.locale = form.locale.data
        session["lang"] = form.locale.data
        flash(_("Settings saved."), "success")
        return redirect(url_for("auth.account"))
    return _account_page(form, PasswordForm())


def _account_page(form: AccountForm, password_form: PasswordForm, status: int = 200):
    """Render "My account" with its settings, password and feed forms."""
    token = current_user.feed_token(current_app.config["SECRET_KEY"])
    feed_url = current_app.config["BASE_URL"] + url_for("feeds.private", token=token)
    page = render_template(
        "auth/account.html",
        form=form,
        password_form=password_form,
        feed_url=feed_url,
        reset=ConfirmForm(),
    )
    return page, status


def _account_key() -> str:
    """Rate-limit key per logged-in account, so guessing the current password stays slow."""
    # The limiter may run before the login wall: an anonymous caller counts by address.
    return f"password:{getattr(current_user, 'id', None) or request.remote_addr}"


@bp.post("/account/password")
@limiter.limit(_login_limit)
@limiter.limit(_login_limit, key_func=_account_key)
def change_password():
    """Change the own password; other sessions end, this one stays logged in."""
    form, user = PasswordForm(), current_user._get_current_object()
    if form.validate_on_submit():
        try:
            operations.change_own_password(
                user,
                current=form.current_password.data,
                new=form.new_password.data,
                repeated=form.repeat_password.data,
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
            # A fresh identity with the new session version; a remember cookie is reissued.
            login_user(user, remember=remember in request.cookies)
            flash(_("Your password was changed. Other sessions were logged out."), "success")
            return redirect(url_for("auth.account"))
    return _account_page(AccountForm(obj=current_user), form, 422)


@bp.post("/account/feed-reset")
def reset_feed():
    """Replace the private feed address; the old one stops working."""
    if ConfirmForm().validate_on_submit():
        current_user.reset_feed_token()
        flash(_("Your private calendar address was replaced. Subscribe again."), "success")
    return redirect(url_for("auth.account"))
