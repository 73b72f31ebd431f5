from pydantic import BaseModel


class FollowState(BaseModel):
    """Whether one follows a designer after a follow or unfollow, and how many follow them."""

    designer: str  # the designer's handle
    following: bool
    follower_count: int
    changed: bool  # false when it was so already (following twice is one follow)


class FollowerCount(BaseModel):
    designer: str
    follower_count: int


class FollowedDesigner(BaseModel):
    handle: str
    display_name: str
