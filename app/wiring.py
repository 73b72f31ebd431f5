"""Where the domains plug into the shared parts that import none of them.

After a commit, the database plumbing (app.db, through app.after_commit) enqueues the tasks a transaction asked
for; app.tasks, whose tasks call the services that ask, registers them here.

Moderation reports, queues and hides designs, comments, ideas, profiles, survey answers, reviews, questions
and answers, while those domains call moderation to screen their posts: so moderation knows each kind only through the
``SubjectType`` that the domain's own ``moderation`` module describes, registered here. Every entry point calls
``connect_domains()`` before any use case runs: the app factory (the web server and its in-process worker), the
`chorus` command (seed, worker, ...), the demo seed (also run from scripts) and the tests' conftest; a kind left
unregistered fails loudly (``app.moderation.subjects.subject_type``).
"""

from app import after_commit, tasks
from app.accounts import moderation as accounts_moderation
from app.challenges import moderation as challenges_moderation
from app.comments import moderation as comments_moderation
from app.ideas import moderation as ideas_moderation
from app.moderation import subjects
from app.questions import moderation as questions_moderation
from app.reviews import moderation as reviews_moderation
from app.surveys import moderation as surveys_moderation

_MODERATED_DOMAINS = (
    challenges_moderation,
    comments_moderation,
    accounts_moderation,
    ideas_moderation,
    surveys_moderation,
    reviews_moderation,
    questions_moderation,
)


def connect_domains() -> None:
    """Fill the registries of the shared parts; calling it again changes nothing."""
    for name, task in tasks.AFTER_COMMIT_TASKS.items():
        after_commit.register(name, task)
    for domain in _MODERATED_DOMAINS:
        for subject_type in domain.SUBJECT_TYPES:
            subjects.register(subject_type)
