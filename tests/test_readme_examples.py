"""The README's "Testing your Auth0 login without Auth0" examples, verbatim:
what users copy must work."""

from django.test import Client


def test_login(auth0_tenant, db):  # settings now point at the tenant
    client = Client()
    authorize = client.post("/login/auth0/")["Location"]
    callback = auth0_tenant.login(authorize, "ada@example.com", "correct horse")
    response = client.get(callback.removeprefix("http://testserver"))
    assert response.status_code == 302
    assert client.session["_auth_user_id"]


def test_tenant_down(auth0_tenant, db):
    auth0_tenant.misbehave.jwks_down = True
    client = Client()
    authorize = client.post("/login/auth0/")["Location"]
    callback = auth0_tenant.login(authorize, "ada@example.com", "correct horse")
    response = client.get(callback.removeprefix("http://testserver"))
    assert response["Location"].startswith("/login-error/")
    assert "_auth_user_id" not in client.session
