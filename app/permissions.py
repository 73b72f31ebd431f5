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
| manage_webhooks              |         |      |        |           |           |         |    x    |   x   |     x      |
| view_ideas                   |    x    |  x   |   x    |     x     |     x     |    x    |    x    |   x   |     x      |
| post_idea                    |         |      |   x    |     x     |     x     |         |         |       |            |
| vote_idea                    |         |      |   x    |     x     |     x     |         |         |       |            |
| follow_idea                  |         |      |   x    |     x     |     x     |    x    |    x    |   x   |     x      |
| manage_ideas                 |         |      |        |           |           |         |    x    |   x   |     x      |
| hide_idea                    |         |      |        |           |     x     |         |    x    |   x   |     x      |
| view_insights                |         |      |        |           |           |    x    |    x    |   x   |     x      |
| view_surveys                 |         |      |        |           |           |    x    |    x    |   x   |     x      |
| manage_surveys               |         |      |        |           |           |         |    x    |   x   |     x      |
| read_community_surveys       |         |      |   x    |     x     |     x     |         |         |       |            |
| answer_survey                |         |      |   x    |     x     |     x     |         |         |       |            |
| view_campaign                |    x    |  x   |   x    |     x     |     x     |    x    |    x    |   x   |     x      |
| take_part_in_campaign        |         |      |   x    |     x     |     x     |         |         |       |            |
| view_campaign_progress       |         |      |        |           |           |    x    |    x    |   x   |     x      |
| manage_campaign              |         |      |        |           |           |         |    x    |   x   |     x      |
| report_content               |         |      |   x    |     x     |     x     |         |         |       |            |
| report_response              |         |      |        |           |           |    x    |    x    |   x   |     x      |
| moderate_community           |         |      |        |           |     x     |         |    x    |   x   |     x      |
| view_audit_log               |         |      |        |           |     x     |    x    |    x    |   x   |     x      |
| appeal_decision              |         |      |   x    |     x     |     x     |         |         |       |            |
| view_rewards                 |         |      |        |           |           |    x    |    x    |   x   |     x      |
| manage_rewards               |         |      |        |           |           |         |    x    |   x   |     x      |
| run_payouts                  |         |      |        |           |           |         |    x    |   x   |     x      |
| pledge_preorder              |         |      |   x    |     x     |     x     |         |         |       |            |
| ask_question                 |    x    |  x   |   x    |     x     |     x     |         |         |       |            |
| answer_question              |         |      |   x    |     x     |     x     |    x    |    x    |   x   |            |
| vote_answer                  |         |      |   x    |     x     |     x     |         |         |       |            |
| follow_question              |         |      |   x    |     x     |     x     |    x    |    x    |   x   |     x      |
| accept_answer                |         |      |   x    |     x     |     x     |    x    |    x    |   x   |            |

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
Webhooks (``app.webhooks``) belong to a brand: manage_webhooks covers its endpoints, their secrets, the delivery log
and test events; another brand's staff get 404.
Ideas (``app.ideas``) take their community's roles, and view_ideas the invite-only rule; hidden and merged ideas
are answered by the service (hidden: seen by their author and those who may hide_idea). Members post, vote and
comment; followers also include staff. Brand staff speak through manage_ideas: the status, the official response,
tags, categories and merging duplicates. Moderators may hide_idea (moderation itself lives in app/moderation).
Insights (``app.insights``): view_insights covers a brand's results pages, their JSON, exports and printable
reports, for its communities, challenges and campaigns; respondents' identities only where they consented.
Surveys (``app.surveys``) take the roles of their brand (``app.surveys.deps``): another brand's staff get 404.
view_surveys covers the builder read-only and the results; manage_surveys covers building, editing and deleting,
and recording responses collected by the brand's own systems (the API). answer_survey is a member answering a
survey published to their community (the community's roles; the service keeps it to one response each);
read_community_surveys lets the same members read those surveys (the list and each survey's page), which a
suspension leaves open: only answering is a write.
Sampling campaigns (``app.campaigns``) take their community's roles like challenges, drafts included:
take_part_in_campaign covers applying and everything a connector does with their own application, kit, share
link and roundtable invitation (the service checks it is theirs); view_campaign_progress shows counts and
connectors' standings without addresses; shipping addresses and the kit export need manage_campaign. Friends
answer through a share link without an account (view_public): the link is the key.
Reviews of a campaign's product (``app.reviews``) take the campaign's permit: view_campaign reads them,
take_part_in_campaign covers publishing, editing and withdrawing one's own (the service checks that the kit was
delivered or the product tried), view_campaign_progress the staff's CSV export; reports and hiding are moderation's.
The disclosure rules (``app.disclosure``) are view_public.
Moderation (``app.moderation``) works in a community: report_content is any member's flag on content there;
moderate_community covers the queue, decisions, sanctions, the community's moderation settings and discounting
suspicious scores; view_audit_log lets staff read (and export) the audit log as well; appeal_decision is a member's
appeal against a decision about them (the service checks it is theirs, and that a different moderator decides it).
report_response is the brand's staff, reading a survey's answers (``app.insights`` results of the brand), reporting a
response to the moderators of the community it was given in: members never see responses, so they cannot report one
(report_content refuses the kind), and staff are not members, so no sanction applies to it.

Sanctions: a member suspended or banned in a community keeps the read actions there but loses every action in
``COMMUNITY_WRITE_ACTIONS`` (403 with the sanction's end and reason). The community permits enforce it, so every
route of those actions is covered; a domain adding a write action for members appends it to that set.
Rewards (``app.rewards``): a brand's staff see its sales, payouts and liability (view_rewards); its managers set
product terms, record sales and refunds, points rules and the catalog (manage_rewards) and run payout batches
(run_payouts). A member's own money, points, referrals and statements are manage_own_account: the services only
ever read the logged-in person's own accounts.
Pre-orders (``app.preorders``): a product on pre-order is shown on its design's community's product page
(view_challenge, with the invite-only rule); members of that community pledge, change and withdraw their own pledge
(pledge_preorder; suspended members may not). The brand's managers open pre-orders and download the fulfilment CSV
with the pledgers' addresses (manage_rewards: products are managed on the rewards pages); its staff see the figures
(view_rewards).
Community Q&A (``app.questions``) takes the community's roles; reading is view_community (and the invite-only
rule). ask_question is open to anyone on the route, and the service decides: members and the brand's staff ask at
once; anyone else (a visitor, or someone logged in who has not joined) only where the community takes visitors'
questions, held for a moderator and rate-limited by IP address. Members and the brand's staff answer (staff answers
carry the "Brand" badge); members vote answers up; accept_answer reaches the route for members and staff, and the
service lets only the asker or the brand's staff accept. Hiding questions and answers is moderate_community, their
setting manage_community.
Designers' followers (``app.follows``): following and unfollowing a designer are manage_own_account (one's own
follows); follower counts, portfolios with their shops, and searching designs across communities are view_public
(the search keeps invite-only communities to those who may see them), a community's design search view_challenge.
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
    manage_webhooks = "manage_webhooks"
    view_ideas = "view_ideas"
    post_idea = "post_idea"
    vote_idea = "vote_idea"
    follow_idea = "follow_idea"
    manage_ideas = "manage_ideas"
    hide_idea = "hide_idea"
    view_insights = "view_insights"
    view_surveys = "view_surveys"
    manage_surveys = "manage_surveys"
    read_community_surveys = "read_community_surveys"
    answer_survey = "answer_survey"
    view_campaign = "view_campaign"
    take_part_in_campaign = "take_part_in_campaign"
    view_campaign_progress = "view_campaign_progress"
    manage_campaign = "manage_campaign"
    report_content = "report_content"
    report_response = "report_response"
    moderate_community = "moderate_community"
    view_audit_log = "view_audit_log"
    appeal_decision = "appeal_decision"
    view_rewards = "view_rewards"
    manage_rewards = "manage_rewards"
    run_payouts = "run_payouts"
    pledge_preorder = "pledge_preorder"
    ask_question = "ask_question"
    answer_question = "answer_question"
    vote_answer = "vote_answer"
    follow_question = "follow_question"
    accept_answer = "accept_answer"


_EVERYONE = frozenset(Role)
_COMMUNITY_ROLES = frozenset({Role.member, Role.connector, Role.moderator})
_STAFF = frozenset({Role.analyst, Role.manager, Role.owner, Role.site_admin})
_MANAGERS = frozenset({Role.manager, Role.owner, Role.site_admin})
_BRAND_STAFF = frozenset({Role.analyst, Role.manager, Role.owner})

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
    Action.manage_webhooks: _MANAGERS,
    Action.view_ideas: _EVERYONE,
    Action.post_idea: _COMMUNITY_ROLES,
    Action.vote_idea: _COMMUNITY_ROLES,
    Action.follow_idea: _COMMUNITY_ROLES | _STAFF,
    Action.manage_ideas: _MANAGERS,
    Action.hide_idea: frozenset({Role.moderator}) | _MANAGERS,
    Action.view_insights: _STAFF,
    Action.view_surveys: _STAFF,
    Action.manage_surveys: _MANAGERS,
    Action.read_community_surveys: _COMMUNITY_ROLES,
    Action.answer_survey: _COMMUNITY_ROLES,
    Action.view_campaign: _EVERYONE,
    Action.take_part_in_campaign: _COMMUNITY_ROLES,
    Action.view_campaign_progress: _STAFF,
    Action.manage_campaign: _MANAGERS,
    Action.report_content: _COMMUNITY_ROLES,
    Action.report_response: _STAFF,
    Action.moderate_community: frozenset({Role.moderator}) | _MANAGERS,
    Action.view_audit_log: frozenset({Role.moderator}) | _STAFF,
    Action.appeal_decision: _COMMUNITY_ROLES,
    Action.view_rewards: _STAFF,
    Action.manage_rewards: _MANAGERS,
    Action.run_payouts: _MANAGERS,
    Action.pledge_preorder: _COMMUNITY_ROLES,
    Action.ask_question: frozenset({Role.visitor, Role.user}) | _COMMUNITY_ROLES,
    # The brand's own staff speak for it (the "Brand" badge); the site admin is not the brand.
    Action.answer_question: _COMMUNITY_ROLES | _BRAND_STAFF,
    Action.vote_answer: _COMMUNITY_ROLES,
    Action.follow_question: _COMMUNITY_ROLES | _STAFF,
    Action.accept_answer: _COMMUNITY_ROLES | _BRAND_STAFF,
}

# What a member suspended or banned in a community may no longer do there: posting, scoring, voting, answering,
# reporting. Appealing, leaving, reading, following and deleting one's own comment stay open to them.
COMMUNITY_WRITE_ACTIONS: frozenset[Action] = frozenset(
    {
        Action.submit_design,
        Action.score_design,
        Action.comment,
        Action.report_content,
        Action.post_idea,
        Action.vote_idea,
        Action.answer_survey,
        Action.take_part_in_campaign,
        Action.pledge_preorder,
        Action.ask_question,
        Action.answer_question,
        Action.vote_answer,
        Action.accept_answer,
    }
)

# Roles that show an actor is inside a brand or community, so a refusal may say 403 rather than 404.
INSIDER_ROLES = _COMMUNITY_ROLES | _STAFF


def can(roles: frozenset[Role], action: Action) -> bool:
    """Whether any of the actor's roles allows the action."""
    return not roles.isdisjoint(PERMISSIONS[action])
