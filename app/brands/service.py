"""Brands and their staff."""

from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select
from sqlmodel.sql.expression import SelectOfScalar

from app.accounts import passwords as accounts_passwords
from app.accounts import service as accounts_service
from app.accounts.models import User
from app.brands.models import Brand, BrandStaff, StaffRole
from app.columns import id_of
from app.errors import Conflict, Invalid, NotFound
from app.i18n import N_, _
from app.i18n.formatting import format_number
from app.slugs import is_valid_slug, slugify

# How a staff (or site) role reads in a sentence, marked for translation.
ROLE_LABELS = {
    "owner": N_("owner"),
    "manager": N_("manager"),
    "analyst": N_("analyst"),
    "site_admin": N_("site admin"),
}


def role_label(role: str) -> str:
    """A role in the current language ("owner", "Inhaber")."""
    label = ROLE_LABELS.get(str(role))
    return _(label) if label else str(role).replace("_", " ")


def select_brand_by_slug(slug: str) -> SelectOfScalar[Brand]:
    return select(Brand).where(Brand.slug == slug)


def get_brand_by_slug(session: Session, *, slug: str) -> Brand:
    brand = session.exec(select_brand_by_slug(slug)).first()
    if brand is None:
        raise NotFound(_("There is no such brand."))
    return brand


def get_brand_by_id(session: Session, *, brand_id: int) -> Brand:
    brand = session.get(Brand, brand_id)
    if brand is None:
        raise NotFound(_("There is no such brand."))
    return brand


def staff_role(session: Session, *, brand_id: int, user: User | None) -> StaffRole | None:
    """The user's role in the brand's staff, or None."""
    if user is None:
        return None
    role = session.exec(
        select(BrandStaff.role).where(BrandStaff.brand_id == brand_id, BrandStaff.user_id == user.id)
    ).first()
    return StaffRole(role) if role is not None else None


def brands_requiring_two_factor(session: Session, *, user: User) -> Sequence[str]:
    """The names of the brands whose staff includes the user and that require two-factor sign-in of their staff."""
    return session.exec(
        select(Brand.name)
        .join(BrandStaff, col(BrandStaff.brand_id) == Brand.id)
        .where(BrandStaff.user_id == user.id, col(Brand.require_staff_two_factor).is_(True))
        .order_by(Brand.name)
    ).all()


def brand_requires_staff_two_factor(session: Session, *, brand_id: int) -> bool:
    return bool(session.exec(select(Brand.require_staff_two_factor).where(Brand.id == brand_id)).first())


def set_staff_two_factor_policy(session: Session, *, brand: Brand, actor: User, required: bool) -> Brand:
    """Require (or stop requiring) two-factor sign-in of the brand's staff. Whoever turns it on must use two-factor
    already, so they do not lock themselves out of the page they are on."""
    if required and not actor.has_two_factor:
        raise Invalid(_("Turn on two-factor authentication for your own account first (Settings, Two-factor)."))
    brand.require_staff_two_factor = required
    session.add(brand)
    session.flush()
    return brand


def list_brands(session: Session) -> Sequence[Brand]:
    return session.exec(select(Brand).order_by(Brand.name)).all()


def list_staffed_brands(session: Session, *, user: User) -> Sequence[tuple[Brand, StaffRole]]:
    """The brands the user works for, with their role in each."""
    rows = session.exec(
        select(Brand, BrandStaff.role)
        .join(BrandStaff, col(BrandStaff.brand_id) == Brand.id)
        .where(BrandStaff.user_id == user.id)
        .order_by(Brand.name)
    ).all()
    return [(brand, StaffRole(role)) for brand, role in rows]


def first_staffed_brand_slug(session: Session, *, user: User) -> str | None:
    """The slug of the first brand (by name) the user works for, if any."""
    return session.exec(
        select(Brand.slug)
        .join(BrandStaff, col(BrandStaff.brand_id) == Brand.id)
        .where(BrandStaff.user_id == user.id)
        .order_by(Brand.name)
        .limit(1)
    ).first()


def create_brand(
    session: Session,
    *,
    name: str,
    slug: str = "",
    description: str = "",
    first_manager_email: str,
    first_manager_name: str = "",
) -> tuple[Brand, User]:
    """Create a brand with its first manager, who becomes its owner; an unknown e-mail is invited to join."""
    name = name.strip()
    slug = slug.strip().lower() or slugify(name)
    errors: dict[str, str] = {}
    if not name or len(name) > 80:
        errors["name"] = _("Enter the brand's name (up to 80 characters).")
    if not is_valid_slug(slug):
        errors["slug"] = _("Use 2 to 60 lower-case letters, digits and single hyphens.")
    elif session.exec(select(Brand).where(Brand.slug == slug)).first():
        errors["slug"] = _("Another brand uses this address; choose another.")
    if len(description) > 2000:
        errors["description"] = _("Use at most %(limit)s characters.", limit=format_number(2000))
    if not accounts_service.EMAIL_PATTERN.match(accounts_service.normalise_email(first_manager_email)):
        errors["first_manager_email"] = _("Enter the first manager's e-mail address.")
    if errors:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
    brand = Brand(name=name, slug=slug, description=description.strip())
    try:
        with session.begin_nested():
            session.add(brand)
            session.flush()
    except IntegrityError as error:
        raise Conflict(_("Another brand just took this address; choose another.")) from error
    manager = add_staff(
        session, brand=brand, email=first_manager_email, role=StaffRole.owner, display_name=first_manager_name
    )
    return brand, manager


def add_staff(session: Session, *, brand: Brand, email: str, role: StaffRole, display_name: str = "") -> User:
    """Give someone a staff role; a person without an account gets one and an e-mail to set their password."""
    email = accounts_service.normalise_email(email)
    if not accounts_service.EMAIL_PATTERN.match(email):
        raise Invalid(_("Please correct the marked fields."), fields={"email": _("Enter an e-mail address.")})
    user = accounts_service.find_user_by_email(session, email=email)
    if user is None:
        user = accounts_passwords.invite_user(
            session,
            email=email,
            display_name=display_name,
            reason=_("You have been added to %(brand)s's staff.", brand=brand.name),
        )
    existing = session.exec(
        select(BrandStaff).where(BrandStaff.brand_id == brand.id, BrandStaff.user_id == user.id)
    ).first()
    if existing is not None:
        raise Conflict(
            _(
                "%(name)s is on this brand's staff already, as %(role)s.",
                name=user.display_name,
                role=role_label(existing.role),
            )
        )
    try:
        with session.begin_nested():
            session.add(BrandStaff(brand_id=id_of(brand), user_id=id_of(user), role=role))
            session.flush()
    except IntegrityError as error:
        raise Conflict(_("%(name)s was just added to this brand's staff.", name=user.display_name)) from error
    return user


def list_staff(session: Session, *, brand: Brand) -> Sequence[tuple[BrandStaff, User]]:
    return session.exec(
        select(BrandStaff, User)
        .join(User, col(User.id) == BrandStaff.user_id)
        .where(BrandStaff.brand_id == brand.id)
        .order_by(BrandStaff.role, User.display_name)
    ).all()


def remove_staff(session: Session, *, brand: Brand, handle: str) -> None:
    """Take someone off the staff; the last owner stays, so the brand is never left without one."""
    user = accounts_service.get_user_by_handle(session, handle=handle)
    row = session.exec(
        select(BrandStaff).where(BrandStaff.brand_id == brand.id, BrandStaff.user_id == user.id).with_for_update()
    ).first()
    if row is None:
        raise NotFound(_("That person is not on this brand's staff."))
    if row.role == StaffRole.owner:
        owners = session.exec(
            select(func.count())
            .select_from(BrandStaff)
            .where(BrandStaff.brand_id == brand.id, BrandStaff.role == StaffRole.owner)
        ).one()
        if owners <= 1:
            raise Conflict(_("A brand needs at least one owner: make someone else owner first."))
    session.delete(row)
    session.flush()
