"""pylti1p3's launch data storage and session service on the shared store.

A nonce is kept under the state of the login that issued it; the launch takes it and
saves its launch data in one call to the store (`SharedStore.take_then_set`: one Redis
round trip, or one database transaction)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from pylti1p3.contrib.flask import FlaskRequest
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.session import SessionService

from ..store import get_store


class StoreDataStorage(LaunchDataStorage):
    """pylti1p3 launch data storage on the shared store. Keys are unguessable values
    (state, nonce, launch id), so no per-browser session id is needed, and a browser that
    blocks third-party cookies can still launch."""

    def get_session_cookie_name(self) -> None:
        return None

    def key(self, key: str) -> str:
        """The store key pylti1p3's `key` is kept under."""
        return self._prepare_key(key)

    def get_value(self, key: str) -> Any:
        return get_store().get(self._prepare_key(key))

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        get_store().set(self._prepare_key(key), value, exp)

    def check_value(self, key: str) -> bool:
        return get_store().get(self._prepare_key(key)) is not None

    def pop_value(self, key: str) -> Any:
        return get_store().pop(self._prepare_key(key))

    def can_set_keys_expiration(self) -> bool:
        return True


class ToolSessionService(SessionService):
    """A nonce is kept under the state of the login that issued it, so a launch must bring
    back a state and a nonce from the same login; using it consumes it, atomically across
    processes."""

    data_storage: StoreDataStorage

    def _bound_key(self, state: str) -> str:
        return self._get_key("state-nonce", state)

    def save_nonce(self, nonce: str) -> None:
        """pylti1p3 saves the nonce without its state; `bind_nonce` stores it with it. A
        nonce stored alone would let any login's state go with it."""

    def bind_nonce(self, state: str, nonce: str) -> None:
        self.data_storage.set_value(
            self._bound_key(state), nonce, current_app.config["LMS_PLUGIN_STATE_TTL"])

    def nonce_for(self, state: str) -> str | None:
        """The nonce issued with this state, if it is still unused (reads only)."""
        value = self.data_storage.get_value(self._bound_key(state))
        return value if isinstance(value, str) else None

    def consume_nonce_and_save(self, state: str, nonce: str, launch_id: str,
                               launch_data: dict[str, Any]) -> str | None:
        """Take the state's nonce if it is this one and, only then, save the launch data
        under its launch id, in one call to the store. Returns the nonce the state held
        (None: used or expired); anything but `nonce` means nothing was taken or saved."""
        storage = self.data_storage
        found = get_store().take_then_set(
            storage.key(self._bound_key(state)), nonce,
            storage.key(self._get_key(launch_id, add_prefix=False)), launch_data,
            self._launch_data_lifetime)
        return found if isinstance(found, str) else None

    def check_nonce(self, nonce: str) -> bool:
        return False  # a nonce means something only with its state: consume_nonce_and_save


def pylti_services() -> tuple[FlaskRequest, ToolSessionService, StoreDataStorage]:
    """pylti1p3's request, session service and storage for this request."""
    req = FlaskRequest()
    storage = StoreDataStorage()
    storage.set_request(req)
    session_service = ToolSessionService(req)
    session_service.set_data_storage(storage)
    session_service.set_launch_data_lifetime(current_app.config["LMS_PLUGIN_LAUNCH_DATA_TTL"])
    return req, session_service, storage
