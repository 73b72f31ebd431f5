"""JSON routes for following designers: the same services as the follow button."""

from fastapi import APIRouter

from app.accounts import service as accounts_service
from app.accounts.deps import AccountUser, Public
from app.db import SessionDep
from app.follows import schemas
from app.follows import service as follows_service

router = APIRouter(tags=["follows"])


@router.put("/users/{handle}/follow", response_model=schemas.FollowState, summary="Follow a designer")
def follow(handle: str, session: SessionDep, user: AccountUser) -> schemas.FollowState:
    designer = accounts_service.get_user_by_handle(session, handle=handle)
    changed = follows_service.follow_designer(session, follower=user, designer=designer)
    count = follows_service.follower_count(session, designer=designer)
    return schemas.FollowState(designer=designer.handle, following=True, follower_count=count, changed=changed)


@router.delete("/users/{handle}/follow", response_model=schemas.FollowState, summary="Stop following a designer")
def unfollow(handle: str, session: SessionDep, user: AccountUser) -> schemas.FollowState:
    designer = accounts_service.get_user_by_handle(session, handle=handle)
    changed = follows_service.unfollow_designer(session, follower=user, designer=designer)
    count = follows_service.follower_count(session, designer=designer)
    return schemas.FollowState(designer=designer.handle, following=False, follower_count=count, changed=changed)


@router.get("/users/{handle}/followers", response_model=schemas.FollowerCount, summary="How many follow a designer")
def followers(handle: str, session: SessionDep, _viewer: Public) -> schemas.FollowerCount:
    designer = accounts_service.get_user_by_handle(session, handle=handle)
    return schemas.FollowerCount(
        designer=designer.handle, follower_count=follows_service.follower_count(session, designer=designer)
    )


@router.get("/me/follows", response_model=list[schemas.FollowedDesigner], summary="The designers you follow")
def my_follows(session: SessionDep, user: AccountUser) -> list[schemas.FollowedDesigner]:
    return [
        schemas.FollowedDesigner(handle=designer.handle, display_name=designer.display_name)
        for designer in follows_service.list_followed(session, follower=user)
    ]
