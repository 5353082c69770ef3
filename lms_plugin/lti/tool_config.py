"""pylti1p3's tool configuration, read from the registrations (see `registrations`)
instead of JSON files."""

from __future__ import annotations

from typing import Any

from pylti1p3.deployment import Deployment as PyltiDeployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfAbstract

from .keys import get_jwks
from .models import Platform
from .registrations import PlatformRecord, find_platform, signing_key


class ToolRegistration(Registration):
    """A registration that signs with the tool's current key and names it by our kid."""

    platform_id: int
    static_public_key: str | None = None
    _kid: str | None = None

    def get_kid(self) -> str | None:
        return self._kid

    def get_jwks(self) -> list[Any]:
        return list(get_jwks()["keys"])


def registration_for(platform: PlatformRecord | Platform) -> ToolRegistration:
    key = signing_key()
    reg = ToolRegistration()
    reg.platform_id = platform.id
    reg._kid = key.kid
    reg.static_public_key = platform.public_key_pem
    reg.set_issuer(platform.issuer)
    reg.set_client_id(platform.client_id)
    reg.set_auth_login_url(platform.auth_login_url)
    reg.set_auth_token_url(platform.auth_token_url)
    if platform.auth_audience:
        reg.set_auth_audience(platform.auth_audience)
    reg.set_key_set_url(platform.keyset_url)
    reg.set_tool_private_key(key.private_key_pem)
    reg.set_tool_public_key(key.public_key_pem)
    return reg


class DatabaseToolConf(ToolConfAbstract):
    """Every issuer may have many client ids, so pylti1p3 always passes the client id."""

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Any:
        platform = find_platform(iss, None)
        return registration_for(platform) if platform else None

    def find_registration_by_params(
        self, iss: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Any:
        platform = find_platform(iss, client_id)
        return registration_for(platform) if platform else None

    def find_deployment(self, iss: str, deployment_id: str) -> Any:
        raise NotImplementedError("issuers are always many-client here")

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> PyltiDeployment | None:
        platform = find_platform(iss, client_id)
        if platform is None or not isinstance(deployment_id, str):
            return None
        if deployment_id not in platform.deployment_ids:
            return None
        return PyltiDeployment().set_deployment_id(deployment_id)
