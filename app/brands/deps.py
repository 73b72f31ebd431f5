"""Load the brand named in the path and check the actor's staff role against the permission table."""

from dataclasses import dataclass

from fastapi import Depends

from app.accounts.deps import CurrentUser, PermissionCheck, base_roles, check
from app.accounts.models import User
from app.brands import service as brands_service
from app.brands.models import Brand
from app.columns import id_of
from app.db import SessionDep
from app.errors import NotFound
from app.i18n import _
from app.permissions import Action, Role, can


@dataclass(frozen=True)
class BrandAccess:
    brand: Brand
    user: User
    roles: frozenset[Role]

    def can(self, action: Action) -> bool:
        return can(self.roles, action)

    @property
    def role_names(self) -> str:
        return ", ".join(
            sorted(brands_service.role_label(role) for role in self.roles if role not in {Role.visitor, Role.user})
        )


class BrandPermit(PermissionCheck):
    """Depends on a ``brand_slug`` path parameter; outsiders get 404 whether or not the brand exists."""

    def __init__(self, action: Action) -> None:
        self.action = action

    def __call__(self, brand_slug: str, user: CurrentUser, session: SessionDep) -> BrandAccess:
        roles = base_roles(user)
        brand = session.exec(brands_service.select_brand_by_slug(brand_slug)).first()
        if brand is not None:
            role = brands_service.staff_role(session, brand_id=id_of(brand), user=user)
            if role is not None:
                roles.add(Role(role))
        check(
            self.action,
            frozenset(roles),
            user,
            hidden_message=_("There is no such brand."),
            session=session,
            brand_id=brand.id if brand is not None else None,
        )
        assert user is not None  # check() refused otherwise: no action here is public
        if brand is None:  # only the site admin passes check() without being on a brand's staff
            raise NotFound(_("There is no such brand."))
        return BrandAccess(brand=brand, user=user, roles=frozenset(roles))


def brand_access(action: Action) -> BrandAccess:
    """``access: BrandAccess = brand_access(Action.view_brand)`` in a route's parameters."""
    return Depends(BrandPermit(action))
