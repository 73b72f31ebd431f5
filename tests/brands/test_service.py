"""The brands service: creating a brand with its first manager, and managing its staff."""

import re

import pytest
from sqlmodel import Session, func, select

from app.accounts import passwords as accounts_passwords
from app.accounts import sessions as accounts_sessions
from app.accounts.models import User
from app.brands import service
from app.brands.models import Brand, BrandStaff, StaffRole
from app.errors import Conflict, Invalid, NotFound
from app.notifications.models import OutboxEmail
from tests.factories import add_staff, make_brand, make_user


def _emails_to(session: Session, address: str) -> list[OutboxEmail]:
    return list(session.exec(select(OutboxEmail).where(OutboxEmail.to_address == address)).all())


def _count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_create_brand_with_an_existing_user_as_owner(session: Session) -> None:
    manager = make_user(session, email="boss@acme.example")
    brand, owner = service.create_brand(
        session, name="  Acme Apparel ", description=" Clothes. ", first_manager_email=" BOSS@acme.example "
    )
    assert owner.id == manager.id
    assert (brand.name, brand.slug, brand.description) == ("Acme Apparel", "acme-apparel", "Clothes.")
    assert service.staff_role(session, brand_id=brand.id, user=manager) == StaffRole.owner  # type: ignore[arg-type]
    assert _emails_to(session, "boss@acme.example") == []  # they have an account: no invitation
    assert _count(session, User) == 1


def test_create_brand_with_an_unknown_address_invites_the_manager(session: Session) -> None:
    users_before = _count(session, User)
    brand, owner = service.create_brand(
        session,
        name="Brightleaf",
        slug="brightleaf",
        first_manager_email="New.Manager@Brightleaf.example",
        first_manager_name="Nia Manager",
    )
    assert _count(session, User) == users_before + 1
    assert owner.email == "new.manager@brightleaf.example"
    assert owner.display_name == "Nia Manager"
    assert owner.handle == "new_manager"
    assert owner.email_confirmed_at is None
    assert service.staff_role(session, brand_id=brand.id, user=owner) == StaffRole.owner  # type: ignore[arg-type]

    [email] = _emails_to(session, "new.manager@brightleaf.example")
    assert "Brightleaf" in email.body_text
    assert "You have been added to Brightleaf's staff." in email.body_text
    match = re.search(r"http://testserver/reset/(\S+)", email.body_text)
    assert match, email.body_text
    # The link lets them choose a password and log in.
    assert accounts_passwords.user_for_reset_token(session, token=match.group(1)).id == owner.id
    accounts_passwords.reset_password(session, token=match.group(1), new_password="violet-harbour-32")
    assert (
        accounts_sessions.authenticate(
            session, login="new_manager", password="violet-harbour-32", client_ip="1.1.1.1"
        ).id
        == owner.id
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "n" * 81}, "name"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"description": "d" * 2001}, "description"),
        ({"first_manager_email": "not-an-address"}, "first_manager_email"),
        ({"first_manager_email": ""}, "first_manager_email"),
    ],
)
def test_create_brand_validation_writes_nothing(session: Session, overrides: dict[str, str], field: str) -> None:
    values = {"name": "Good", "slug": "good", "first_manager_email": "m@example.com", **overrides}
    users_before, emails_before = _count(session, User), _count(session, OutboxEmail)
    with pytest.raises(Invalid) as error:
        service.create_brand(session, **values)
    assert field in error.value.fields
    assert _count(session, Brand) == 0
    assert (_count(session, User), _count(session, OutboxEmail)) == (users_before, emails_before)


def test_create_brand_refuses_a_slug_in_use(session: Session) -> None:
    make_brand(session, slug="taken")
    with pytest.raises(Invalid) as error:
        service.create_brand(session, name="Taken", first_manager_email="m@example.com")
    assert error.value.fields == {"slug": "Another brand uses this address; choose another."}


def test_add_staff_existing_and_new_people(session: Session) -> None:
    brand = make_brand(session, name="Acme")
    known = make_user(session, email="known@example.com")
    assert service.add_staff(session, brand=brand, email="KNOWN@example.com", role=StaffRole.analyst).id == known.id
    assert _emails_to(session, "known@example.com") == []
    invited = service.add_staff(
        session, brand=brand, email="fresh@example.com", role=StaffRole.manager, display_name="Fresh Face"
    )
    assert invited.display_name == "Fresh Face"
    assert len(_emails_to(session, "fresh@example.com")) == 1
    roles = {user.email: row.role for row, user in service.list_staff(session, brand=brand)}
    assert roles == {"known@example.com": StaffRole.analyst, "fresh@example.com": StaffRole.manager}


def test_add_staff_twice_is_a_conflict(session: Session) -> None:
    brand = make_brand(session)
    user = make_user(session, email="twice@example.com", display_name="Twice")
    service.add_staff(session, brand=brand, email="twice@example.com", role=StaffRole.analyst)
    with pytest.raises(Conflict) as error:
        service.add_staff(session, brand=brand, email="twice@example.com", role=StaffRole.manager)
    assert error.value.status_code == 409
    assert error.value.message == "Twice is on this brand's staff already, as analyst."
    assert service.staff_role(session, brand_id=brand.id, user=user) == StaffRole.analyst  # type: ignore[arg-type]


def test_add_staff_needs_an_address(session: Session) -> None:
    with pytest.raises(Invalid) as error:
        service.add_staff(session, brand=make_brand(session), email="nope", role=StaffRole.analyst)
    assert error.value.fields == {"email": "Enter an e-mail address."}


def test_remove_staff_keeps_the_last_owner(session: Session) -> None:
    brand = make_brand(session)
    owner = make_user(session, handle="only_owner")
    analyst = make_user(session, handle="analyst_one")
    add_staff(session, brand, owner, StaffRole.owner)
    add_staff(session, brand, analyst, StaffRole.analyst)

    with pytest.raises(Conflict) as error:
        service.remove_staff(session, brand=brand, handle="only_owner")
    assert "at least one owner" in error.value.message
    assert service.staff_role(session, brand_id=brand.id, user=owner) == StaffRole.owner  # type: ignore[arg-type]

    service.remove_staff(session, brand=brand, handle="analyst_one")
    assert service.staff_role(session, brand_id=brand.id, user=analyst) is None  # type: ignore[arg-type]

    second_owner = make_user(session, handle="second_owner")
    add_staff(session, brand, second_owner, StaffRole.owner)
    service.remove_staff(session, brand=brand, handle="only_owner")
    assert service.staff_role(session, brand_id=brand.id, user=owner) is None  # type: ignore[arg-type]
    with pytest.raises(Conflict):
        service.remove_staff(session, brand=brand, handle="second_owner")


def test_remove_staff_of_someone_not_on_the_staff(session: Session) -> None:
    brand = make_brand(session)
    make_user(session, handle="stranger")
    with pytest.raises(NotFound):
        service.remove_staff(session, brand=brand, handle="stranger")
    with pytest.raises(NotFound):
        service.remove_staff(session, brand=brand, handle="no_such_person")


def test_list_staffed_brands(session: Session) -> None:
    user = make_user(session)
    zeta = make_brand(session, name="Zeta")
    alpha = make_brand(session, name="Alpha")
    make_brand(session, name="Elsewhere")
    add_staff(session, zeta, user, StaffRole.analyst)
    add_staff(session, alpha, user, StaffRole.owner)
    assert [(brand.name, role) for brand, role in service.list_staffed_brands(session, user=user)] == [
        ("Alpha", StaffRole.owner),
        ("Zeta", StaffRole.analyst),
    ]
    assert service.list_staffed_brands(session, user=make_user(session)) == []


def test_staff_role_of_nobody(session: Session) -> None:
    brand = make_brand(session)
    assert service.staff_role(session, brand_id=brand.id, user=None) is None  # type: ignore[arg-type]
    assert _count(session, BrandStaff) == 0


def test_get_brand(session: Session) -> None:
    brand = make_brand(session, slug="findable")
    assert service.get_brand_by_slug(session, slug="findable").id == brand.id
    assert service.get_brand_by_id(session, brand_id=brand.id).id == brand.id  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        service.get_brand_by_slug(session, slug="missing")
    with pytest.raises(NotFound):
        service.get_brand_by_id(session, brand_id=10**9)
