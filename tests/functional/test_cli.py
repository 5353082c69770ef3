"""`lms-plugin platform add|list` and `lms-plugin keys list|rotate|retire`, through the
app's CLI runner, with their effect on the database and on /lti/jwks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlalchemy import func, select

from lms_plugin.extensions import db
from lms_plugin.lti.keys import get_signing_key
from lms_plugin.lti.models import Deployment, Platform, ToolKey
from tests.support.launches import login
from tests.support.platform import stranger_key

ISSUER = "https://lms.example.edu"
BASE = [
    "platform", "add",
    "--issuer", ISSUER,
    "--client-id", "client-1",
    "--auth-login-url", "https://lms.example.edu/auth",
    "--auth-token-url", "https://lms.example.edu/token",
]
KEYSET = ["--keyset-url", "https://lms.example.edu/jwks"]


def _rsa_public_pem(fmt: Any = serialization.PublicFormat.SubjectPublicKeyInfo) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.public_key().public_bytes(serialization.Encoding.PEM, fmt)


@pytest.fixture
def pem_file(tmp_path: Path) -> Path:
    path = tmp_path / "platform.pem"
    path.write_bytes(_rsa_public_pem())
    return path


def _platforms(app: Any) -> list[dict[str, Any]]:
    with app.app_context():
        return [
            {
                "issuer": p.issuer,
                "client_id": p.client_id,
                "keyset_url": p.keyset_url,
                "public_key_pem": p.public_key_pem,
                "name": p.name,
                "auth_login_url": p.auth_login_url,
                "deployments": sorted(d.deployment_id for d in p.deployments),
            }
            for p in db.session.scalars(select(Platform).order_by(Platform.id))
        ]


def _ok(result: Any) -> str:
    assert result.exit_code == 0, result.output
    assert result.exception is None, result.output
    return str(result.output)


def _failed(result: Any) -> str:
    assert result.exit_code != 0, result.output
    # A refusal the operator can read, not a traceback.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return str(result.output)


# --- platform add / list ---------------------------------------------------------------


def test_platform_add_with_a_keyset_url(app, runner):
    out = _ok(runner.invoke(args=[*BASE, *KEYSET, "--deployment-id", "dep-1",
                                  "--name", "Our Moodle"]))
    assert ISSUER in out and "client-1" in out and "dep-1" in out
    assert _platforms(app) == [
        {
            "issuer": ISSUER,
            "client_id": "client-1",
            "keyset_url": "https://lms.example.edu/jwks",
            "public_key_pem": None,
            "name": "Our Moodle",
            "auth_login_url": "https://lms.example.edu/auth",
            "deployments": ["dep-1"],
        }
    ]


def test_platform_add_with_a_public_key_file(app, runner, pem_file):
    _ok(runner.invoke(args=[*BASE, "--public-key-file", str(pem_file), "--deployment-id", "d"]))
    [platform] = _platforms(app)
    assert platform["keyset_url"] is None
    stored = platform["public_key_pem"]
    assert stored.startswith("-----BEGIN PUBLIC KEY-----")
    # The stored key is the file's key.
    expected = serialization.load_pem_public_key(pem_file.read_bytes())
    assert serialization.load_pem_public_key(stored.encode()).public_numbers() == (
        expected.public_numbers()  # type: ignore[union-attr]
    )


def test_a_pkcs1_rsa_public_key_is_accepted(app, runner, tmp_path):
    path = tmp_path / "pkcs1.pem"
    path.write_bytes(_rsa_public_pem(serialization.PublicFormat.PKCS1))
    assert path.read_text().startswith("-----BEGIN RSA PUBLIC KEY-----")
    _ok(runner.invoke(args=[*BASE, "--public-key-file", str(path), "--deployment-id", "d"]))
    assert _platforms(app)[0]["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")


def test_several_deployment_ids(app, runner):
    out = _ok(runner.invoke(args=[*BASE, *KEYSET, "--deployment-id", "dep-a",
                                  "--deployment-id", "dep-b", "--deployment-id", "dep-c"]))
    assert "dep-a, dep-b, dep-c" in out
    assert _platforms(app)[0]["deployments"] == ["dep-a", "dep-b", "dep-c"]


@pytest.mark.parametrize("both", [True, False], ids=["both", "neither"])
def test_exactly_one_key_option(app, runner, pem_file, both):
    args = [*BASE, "--deployment-id", "d"]
    if both:
        args += [*KEYSET, "--public-key-file", str(pem_file)]
    out = _failed(runner.invoke(args=args))
    assert "exactly one of --keyset-url and --public-key-file" in out
    assert _platforms(app) == []


def test_a_deployment_id_is_required(app, runner):
    out = _failed(runner.invoke(args=[*BASE, *KEYSET]))
    assert "--deployment-id" in out
    assert _platforms(app) == []


def _ec_public_pem() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _rsa_private_pem() -> bytes:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


BAD_FILES = {
    "not a key": (lambda: b"hello, I am not a key\n", "does not hold a PEM public key"),
    "empty": (lambda: b"", "does not hold a PEM public key"),
    "damaged PEM": (
        lambda: b"-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n",
        "does not hold a PEM public key",
    ),
    "truncated PEM": (lambda: _rsa_public_pem()[:200], "does not hold a PEM public key"),
    "private key": (_rsa_private_pem, "does not hold a PEM public key"),
    "binary (DER)": (
        lambda: serialization.load_pem_public_key(_rsa_public_pem()).public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "does not hold a PEM public key",
    ),
    "EC key": (_ec_public_pem, "does not hold an RSA public key"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_public_key_file_is_refused(app, runner, tmp_path, case):
    content, message = BAD_FILES[case]
    path = tmp_path / "bad.pem"
    path.write_bytes(content())
    out = _failed(runner.invoke(args=[*BASE, "--public-key-file", str(path),
                                      "--deployment-id", "d"]))
    assert message in out
    assert _platforms(app) == []


def test_a_missing_public_key_file_is_refused(app, runner, tmp_path):
    out = _failed(runner.invoke(args=[*BASE, "--public-key-file", str(tmp_path / "nope.pem"),
                                      "--deployment-id", "d"]))
    assert "does not exist" in out
    assert _platforms(app) == []


def test_platform_list(app, runner, pem_file):
    assert "No platforms registered" in _ok(runner.invoke(args=["platform", "list"]))
    _ok(runner.invoke(args=[*BASE, *KEYSET, "--deployment-id", "dep-1",
                            "--deployment-id", "dep-2"]))
    _ok(runner.invoke(args=["platform", "add", "--issuer", "https://canvas.example",
                            "--client-id", "10000000000001",
                            "--auth-login-url", "https://canvas.example/auth",
                            "--auth-token-url", "https://canvas.example/token",
                            "--public-key-file", str(pem_file), "--deployment-id", "c-dep"]))
    listing = _ok(runner.invoke(args=["platform", "list"]))
    canvas, ours = listing.split("\n[")  # one block each, ordered by issuer
    assert "issuer=https://canvas.example  client_id=10000000000001" in canvas
    assert "registered by operator" in canvas and "keys=fixed public key" in canvas
    assert "token audience=https://canvas.example/token" in canvas
    assert "deployment c-dep  (added by operator" in canvas
    assert "new deployments: refused until an operator adds them" in canvas
    assert f"issuer={ISSUER}  client_id=client-1" in ours
    assert "keys=https://lms.example.edu/jwks" in ours
    assert "deployment dep-1  (added by operator" in ours and "deployment dep-2" in ours


def test_adding_again_updates_rather_than_duplicates(app, runner, pem_file):
    _ok(runner.invoke(args=[*BASE, *KEYSET, "--deployment-id", "dep-1", "--name", "Old"]))
    _ok(runner.invoke(args=[
        "platform", "add", "--issuer", ISSUER, "--client-id", "client-1",
        "--auth-login-url", "https://lms.example.edu/new-auth",
        "--auth-token-url", "https://lms.example.edu/token",
        "--public-key-file", str(pem_file),
        "--deployment-id", "dep-1", "--deployment-id", "dep-2", "--name", "New",
    ]))
    [platform] = _platforms(app)
    assert platform["auth_login_url"] == "https://lms.example.edu/new-auth"
    assert platform["name"] == "New"
    # Switching to a fixed key drops the key set URL (and the other way round).
    assert platform["keyset_url"] is None
    assert platform["public_key_pem"]
    assert platform["deployments"] == ["dep-1", "dep-2"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Deployment)) == 2
    _ok(runner.invoke(args=[*BASE, *KEYSET, "--deployment-id", "dep-1"]))
    [platform] = _platforms(app)
    assert (platform["keyset_url"], platform["public_key_pem"]) == (
        "https://lms.example.edu/jwks", None,
    )
    listing = _ok(runner.invoke(args=["platform", "list"]))
    assert sum(line.startswith("[") for line in listing.splitlines()) == 1


def test_a_platform_added_with_a_public_key_file_can_launch(app, client, runner, platform,
                                                           tmp_path):
    """The fixed key is what launches are verified with: the platform's own key verifies,
    another does not."""
    path = tmp_path / "platform.pem"
    path.write_text(platform.state.signing_key()["public"])
    _ok(runner.invoke(args=[
        "platform", "add", "--issuer", platform.issuer, "--client-id", platform.client_id,
        "--auth-login-url", platform.url + "/auth", "--auth-token-url", platform.url + "/token",
        "--public-key-file", str(path), "--deployment-id", platform.deployment_id,
    ]))
    state, nonce = login(client, platform)
    forged = platform.sign(platform.claims(nonce), key=stranger_key())
    refused = client.post("/lti/launch", data={"id_token": forged, "state": state})
    assert refused.status_code == 401
    assert "signature does not verify" in refused.get_data(as_text=True)
    good = client.post("/lti/launch",
                       data={"id_token": platform.sign(platform.claims(nonce)), "state": state})
    assert good.status_code == 302, good.get_data(as_text=True)


# --- keys ------------------------------------------------------------------------------


def _keys_list(runner: Any) -> dict[str, str]:
    out = _ok(runner.invoke(args=["keys", "list"]))
    return {line.split("\t")[0]: line.split("\t")[1] for line in out.strip().splitlines()}


def _published_kids(client: Any) -> list[str]:
    response = client.get("/lti/jwks")
    assert response.status_code == 200
    return [k["kid"] for k in response.get_json()["keys"]]


def _signing_kid(app: Any) -> str:
    with app.app_context():
        return get_signing_key().kid


def _rotate(runner: Any) -> str:
    out = _ok(runner.invoke(args=["keys", "rotate"]))
    assert out.startswith("New signing key ")
    return out.split()[3].rstrip(".")


def test_keys_list_makes_the_first_key(app, runner):
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ToolKey)) == 0
    listed = _keys_list(runner)
    assert list(listed.values()) == ["signing"]
    [kid] = listed
    assert _keys_list(runner) == {kid: "signing"}  # and only the first
    assert _signing_kid(app) == kid


def test_rotate_publishes_both_keys_and_signs_with_the_new(app, runner, client):
    [old] = _keys_list(runner)
    new = _rotate(runner)
    assert new != old
    assert sorted(_published_kids(client)) == sorted([old, new])
    assert _signing_kid(app) == new
    assert _keys_list(runner) == {old: "published", new: "signing"}


def test_the_published_key_verifies_what_the_signing_key_signs(app, runner, client):
    _keys_list(runner)
    new = _rotate(runner)
    with app.app_context():
        private = get_signing_key().private_key_pem
    token = jwt.encode({"iss": "tool"}, private, algorithm="RS256", headers={"kid": new})
    [jwk] = [k for k in client.get("/lti/jwks").get_json()["keys"] if k["kid"] == new]
    assert (jwk["alg"], jwk["use"], jwk["kty"]) == ("RS256", "sig", "RSA")
    assert "d" not in jwk  # never the private part
    assert jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["RS256"]) == {"iss": "tool"}


def test_retire_withdraws_an_old_key(app, runner, client):
    [old] = _keys_list(runner)
    new = _rotate(runner)
    out = _ok(runner.invoke(args=["keys", "retire", old]))
    assert f"Retired {old}" in out
    assert _published_kids(client) == [new]
    assert _signing_kid(app) == new
    assert _keys_list(runner) == {new: "signing", old: "retired"}


def test_the_signing_key_cannot_be_retired(app, runner, client):
    [old] = _keys_list(runner)
    out = _failed(runner.invoke(args=["keys", "retire", old]))
    assert "signing now" in out and "rotate first" in out
    assert _published_kids(client) == [old]
    assert _signing_kid(app) == old
    new = _rotate(runner)
    out = _failed(runner.invoke(args=["keys", "retire", new]))
    assert "signing now" in out
    assert sorted(_published_kids(client)) == sorted([old, new])


def test_retiring_an_unknown_kid_fails(app, runner, client):
    [kid] = _keys_list(runner)
    out = _failed(runner.invoke(args=["keys", "retire", "no-such-kid"]))
    assert "No key with kid 'no-such-kid'" in out
    assert _published_kids(client) == [kid]


def test_rotate_before_any_key(app, runner, client):
    new = _rotate(runner)
    assert _published_kids(client) == [new]
    assert _signing_kid(app) == new


def test_a_kid_that_begins_with_a_dash(app, runner, client):
    """Thumbprints are base64url: about one in 64 begins with "-", which must still be
    taken as the kid, not as an option."""
    [old] = _keys_list(runner)
    new = _rotate(runner)
    dashed = "-" + old[1:]
    with app.app_context():
        key = db.session.scalars(select(ToolKey).where(ToolKey.kid == old)).one()
        key.kid = dashed
        db.session.commit()
    assert "No key with kid '-nope'" in _failed(runner.invoke(args=["keys", "retire", "-nope"]))
    assert f"Retired {dashed}" in _ok(runner.invoke(args=["keys", "retire", dashed]))
    assert _published_kids(client) == [new]


def test_the_worker_help_says_delivery_is_at_least_once(runner):
    """A worker that dies mid-send leaves its message to be sent again
    (tests/e2e/test_grade_redelivery.py): the help must not promise otherwise."""
    result = runner.invoke(args=["worker", "--help"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "at least once" in text and "LMS_PLUGIN_OUTBOX_LEASE_SECONDS" in text
    assert "twice" not in text
