"""Who may do what: the one role x action table of Chorus.

An actor's roles are worked out per request against the brand or community in question (``app.brands.deps``,
``app.communities.deps``, ``app.accounts.deps``); a route declares the action it performs through those
dependencies, and ``can`` decides. Every route declares exactly one action (tests/test_permissions.py walks the route
table to hold us to it). Things an actor may not even see answer 404, not 403.

| action                       | visitor | user | member | connector | moderator | analyst | manager | owner | site admin |
|------------------------------|:-------:|:----:|:------:|:---------:|:---------:|:-------:|:-------:|:-----:|:----------:|
| view_public                  |    x    |  x   |   x    |     x     |     x     |    x    |    x    |   x   |     x      |
| view_community (public)      |    x    |  x   |   x    |     x     |     x     |    x    |    x    |   x   |     x      |
| view_community (invite-only) |         |      |   x    |     x     |     x     |    x    |    x    |   x   |     x      |
| join_community (public)      |         |  x   |        |           |           |         |         |       |            |
| join_by_invite               |         |  x   |        |           |           |         |         |       |            |
| leave_community              |         |      |   x    |     x     |     x     |         |         |       |            |
| view_members                 |         |      |        |           |     x     |    x    |    x    |   x   |     x      |
| manage_community             |         |      |        |           |           |         |    x    |   x   |     x      |
| view_brand                   |         |      |        |           |           |    x    |    x    |   x   |     x      |
| create_community             |         |      |        |           |           |         |    x    |   x   |     x      |
| manage_staff                 |         |      |        |           |           |         |         |   x   |     x      |
| manage_own_account           |         |  x   |   x    |     x     |     x     |    x    |    x    |   x   |     x      |
| administer_site              |         |      |        |           |           |         |         |       |     x      |
| view_challenge               |    x    |  x   |   x    |     x     |     x     |    x    |    x    |   x   |     x      |
| submit_design                |         |      |   x    |     x     |     x     |         |         |       |            |
| score_design                 |         |      |   x    |     x     |     x     |         |         |       |            |
| view_shortlist               |         |      |        |           |           |    x    |    x    |   x   |     x      |
| manage_challenge             |         |      |        |           |           |         |    x    |   x   |     x      |
| comment                      |         |      |   x    |     x     |     x     |         |         |       |            |
| moderate_comments            |         |      |        |           |     x     |         |    x    |   x   |     x      |
| delete_comment               |         |      |   x    |     x     |     x     |         |    x    |   x   |     x      |

"user" is anyone logged in; member, connector and moderator are roles in the community in question; analyst, manager
and owner are staff roles in the brand in question (a brand's staff reach all of its communities).
Challenges and designs take the roles of their community (``app.challenges.deps``): view_challenge is also subject
to the invite-only rule, drafts are seen only by those who may manage_challenge, and submit_design also covers
editing and withdrawing one's own design (the service checks that the actor is its designer). The services check
the windows (submissions, scoring) and the one place for suspensions.
Comments on designs (``app.comments``) take the design's community too: comment also covers editing one's own
comment (the service checks authorship and the edit window); delete_comment lets a route be reached by authors and
by those who may moderate_comments, and the service tells the two apart (authors delete their own, moderators and the
brand's managers any). Brand staff do not comment: the thread is the members' conversation.
"""

from enum import StrEnum


class Role(StrEnum):
    visitor = "visitor"
    user = "user"
    member = "member"
    connector = "connector"
    moderator = "moderator"
    analyst = "analyst"
    manager = "manager"
    owner = "owner"
    site_admin = "site_admin"


class Action(StrEnum):
    view_public = "view_public"
    view_community = "view_community"
    view_invite_only_community = "view_invite_only_community"
    join_community = "join_community"
    join_by_invite = "join_by_invite"
    leave_community = "leave_community"
    view_members = "view_members"
    manage_community = "manage_community"
    view_brand = "view_brand"
    create_community = "create_community"
    manage_staff = "manage_staff"
    manage_own_account = "manage_own_account"
    administer_site = "administer_site"
    view_challenge = "view_challenge"
    submit_design = "submit_design"
    score_design = "score_design"
    view_shortlist = "view_shortlist"
    manage_challenge = "manage_challenge"
    comment = "comment"
    moderate_comments = "moderate_comments"
    delete_comment = "delete_comment"


_EVERYONE = frozenset(Role)
_COMMUNITY_ROLES = frozenset({Role.member, Role.connector, Role.moderator})
_STAFF = frozenset({Role.analyst, Role.manager, Role.owner, Role.site_admin})
_MANAGERS = frozenset({Role.manager, Role.owner, Role.site_admin})

PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.view_public: _EVERYONE,
    Action.view_community: _EVERYONE,
    Action.view_invite_only_community: _COMMUNITY_ROLES | _STAFF,
    # Joining is for logged-in people who are not members yet: member roles are absent on purpose.
    Action.join_community: frozenset({Role.user}),
    Action.join_by_invite: frozenset({Role.user}),
    Action.leave_community: _COMMUNITY_ROLES,
    Action.view_members: frozenset({Role.moderator}) | _STAFF,
    Action.manage_community: _MANAGERS,
    Action.view_brand: _STAFF,
    Action.create_community: _MANAGERS,
    Action.manage_staff: frozenset({Role.owner, Role.site_admin}),
    Action.manage_own_account: _EVERYONE - {Role.visitor},
    Action.administer_site: frozenset({Role.site_admin}),
    Action.view_challenge: _EVERYONE,
    Action.submit_design: _COMMUNITY_ROLES,
    Action.score_design: _COMMUNITY_ROLES,
    Action.view_shortlist: _STAFF,
    Action.manage_challenge: _MANAGERS,
    Action.comment: _COMMUNITY_ROLES,
    Action.moderate_comments: frozenset({Role.moderator}) | _MANAGERS,
    Action.delete_comment: _COMMUNITY_ROLES | _MANAGERS,
}

# Roles that show an actor is inside a brand or community, so a refusal may say 403 rather than 404.
INSIDER_ROLES = _COMMUNITY_ROLES | _STAFF


def can(roles: frozenset[Role], action: Action) -> bool:
    """Whether any of the actor's roles allows the action."""
    return not roles.isdisjoint(PERMISSIONS[action])
