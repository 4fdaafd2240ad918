"""The HTML pages of the emulated Universal Login; stable ids for browser tests."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from string import Template

from .users import TenantUser

_LAYOUT = Template("""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>
body { font-family: system-ui, sans-serif; background: #f0f2f5; margin: 0; }
main { max-width: 400px; margin: 4rem auto; background: #fff; padding: 2rem;
       border-radius: 6px; box-shadow: 0 2px 12px rgba(0, 0, 0, .1); }
h1 { font-size: 1.5rem; text-align: center; }
label { display: block; margin: .75rem 0 .25rem; }
input { width: 100%; box-sizing: border-box; padding: .6rem; }
button { width: 100%; padding: .7rem; margin-top: .75rem; cursor: pointer; }
#login-submit { background: #635dff; color: #fff; border: 0; border-radius: 3px; }
.error { color: #d03c38; }
.note { color: #65676e; font-size: .85rem; text-align: center; }
ul { list-style: none; padding: 0; }
</style>
</head>
<body><main>
$content
<p class="note">Local Auth0 tenant emulator (social_auth0.testing)</p>
</main></body>
</html>
""")

_LOGIN = Template("""<h1 id="heading">$heading</h1>
<p class="note">to continue to $app_name</p>
$error
<form method="post" action="$action" id="login-form">
  <input type="hidden" name="state" value="$state">
  <label for="email">Email address</label>
  <input id="email" name="email" type="email" value="$login_hint"
         autocomplete="username" required>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password">
  <button id="login-submit" type="submit">Continue</button>
</form>
$user_list
<p><a id="cancel" href="$cancel_url">Cancel</a></p>
""")

# A separate form, so Enter in the password field submits the main form.
_USER_LIST = Template("""<form method="post" action="$action" id="pick-user-form">
  <input type="hidden" name="state" value="$state">
  <p class="note">or continue as</p>
  <ul id="users">
$items
  </ul>
</form>""")

_USER_BUTTON = Template(
    '    <li><button type="submit" class="pick-user" name="login_as" value="$email"'
    ' data-email="$email">$label <small>($connection)</small></button></li>'
)


def layout(title: str, content: str) -> str:
    """A full page around ``content`` (already HTML)."""
    return _LAYOUT.substitute(title=escape(title), content=content)


def login_page(
    *,
    transaction_id: str,
    app_name: str,
    users: Iterable[TenantUser],
    error: str = "",
    login_hint: str = "",
    signup: bool = False,
) -> str:
    """The login (or sign-up) form with a quick-pick button per user."""
    action = f"/u/login?state={escape(transaction_id)}"
    items = "\n".join(
        _USER_BUTTON.substitute(
            email=escape(user.email),
            label=escape(_label(user)),
            connection=escape(user.connection),
        )
        for user in users
    )
    user_list = (
        _USER_LIST.substitute(action=action, state=escape(transaction_id), items=items)
        if items
        else ""
    )
    heading = "Sign up" if signup else "Log in"
    content = _LOGIN.substitute(
        heading=heading,
        app_name=escape(app_name),
        error=f'<p class="error" id="error" role="alert">{escape(error)}</p>'
        if error
        else "",
        action=action,
        state=escape(transaction_id),
        login_hint=escape(login_hint),
        user_list=user_list,
        cancel_url=f"/u/login/cancel?state={escape(transaction_id)}",
    )
    return layout(heading, content)


_MFA = Template("""<h1 id="heading">Verify your identity</h1>
<p class="note">Enter the one-time code from your authenticator app
(this emulator's code is $code).</p>
$error
<form method="post" action="/u/mfa" id="mfa-form">
  <input type="hidden" name="state" value="$state">
  <label for="mfa-code">Code</label>
  <input id="mfa-code" name="code" inputmode="numeric" autocomplete="one-time-code"
         required>
  <button id="mfa-submit" type="submit">Continue</button>
</form>
""")


def mfa_page(*, transaction_id: str, error: str = "") -> str:
    """The second-factor page of an MFA step (see mfa.py)."""
    from .mfa import MFA_CODE

    content = _MFA.substitute(
        code=MFA_CODE,
        state=escape(transaction_id),
        error=f'<p class="error" id="error" role="alert">{escape(error)}</p>'
        if error
        else "",
    )
    return layout("Verify your identity", content)


def _label(user: TenantUser) -> str:
    if user.name in (None, user.email):
        return user.email
    return f"{user.name} <{user.email}>"


def message_page(title: str, description: str) -> str:
    """An error or information page (e.g. "Callback URL mismatch")."""
    content = (
        f'<h1 id="heading">{escape(title)}</h1>\n'
        f'<p id="description">{escape(description)}</p>'
    )
    return layout(title, content)
