"""Which LMS pages may frame the tool after a launch, learned from the signed launch.

Canvas frames the tool from the school's own domain (school.instructure.com or a custom
domain), which is neither its issuer (canvas.instructure.com) nor its OIDC host
(sso.canvaslms.com); Moodle frames it from its own host, its issuer. The signed id_token
says where the learner is: the LMS's return URL, its deep-linking return URL and its
`tool_platform` URL all live on the page's site. Nothing here comes from a request
header, which anyone can set.
"""

from __future__ import annotations

from ..extensions import db
from ..security import origin_of, origins
from .claims import LaunchClaims
from .models import Platform
from .registrations import PlatformRecord

LEARNED_KEPT = 20


def signed_origins(claims: LaunchClaims) -> list[str]:
    """Origins of the LMS pages this signed launch names."""
    return origins([claims.return_url, claims.platform_url, claims.deep_link_return_url])


def launch_frame_ancestors(platform: Platform | PlatformRecord, claims: LaunchClaims,
                           own: str) -> list[str]:
    """Who may frame the pages of this launch's session: the platform's issuer and login
    origins and the origins its signed launch names (never the tool's own origin)."""
    found = origins([platform.issuer, platform.auth_login_url]) + signed_origins(claims)
    mine = origin_of(own)
    return [o for o in dict.fromkeys(found) if o != mine]


def learn_frame_origins(platform: PlatformRecord, claims: LaunchClaims) -> None:
    """Keep the origins signed launches named on the platform, for operators to see
    (`lms-plugin platform list`), newest last. The row is read and written only when
    there is something new (the registration as the launch read it says what is known)."""
    if not [o for o in signed_origins(claims) if o not in (platform.frame_origins or "").split()]:
        return
    row = db.session.get(Platform, platform.id)
    if row is None:
        return
    seen = (row.frame_origins or "").split()
    new = [o for o in signed_origins(claims) if o not in seen]
    if new:
        row.frame_origins = " ".join([*seen, *new][-LEARNED_KEPT:])
