"""How moderation's stored values (kinds of content, statuses, flags, actions, sanctions, report reasons) read to
people, in the current language. Marked with ``N_`` here and translated where shown (``label``); the templates call
``moderation_label(group, value)``. An unknown value reads as itself, its underscores spaced."""

from app.i18n import N_, _

SUBJECT_KINDS = {
    "design": N_("design"),
    "comment": N_("comment"),
    "profile": N_("profile"),
    "idea": N_("idea"),
    "survey_response": N_("survey answer"),
    "review": N_("review"),
    "question": N_("question"),
    "answer": N_("answer"),
    "sanction": N_("sanction"),
    "appeal": N_("appeal"),
    "discount": N_("discount"),
    "user": N_("user"),
    "challenge": N_("challenge"),
    "community": N_("community"),
    "preorder": N_("pre-order"),
    "pledge": N_("pledge"),
}
ITEM_STATUSES = {
    "open": N_("open"),
    "held": N_("held"),
    "hidden": N_("hidden"),
    "removed": N_("removed"),
    "restored": N_("restored"),
}
ITEM_FLAGS = {
    "reported": N_("reported"),
    "near_duplicate": N_("near duplicate"),
    "premoderation": N_("premoderation"),
    "blocked_word": N_("blocked word"),
}
AUDIT_ACTIONS = {
    "hide": N_("hide"),
    "restore": N_("restore"),
    "remove": N_("remove"),
    "auto_hide": N_("auto hide"),
    "hold": N_("hold"),
    "warning": N_("warning"),
    "suspension": N_("suspension"),
    "ban": N_("ban"),
    "lift_sanction": N_("lift sanction"),
    "site_ban": N_("site ban"),
    "appeal_granted": N_("appeal granted"),
    "appeal_rejected": N_("appeal rejected"),
    "discount": N_("discount"),
    "restore_discount": N_("restore discount"),
    "update_settings": N_("update settings"),
    "delete_account": N_("delete account"),
    "preorder_opened": N_("pre-order opened"),
    "preorder_funded": N_("pre-order funded"),
    "preorder_not_funded": N_("pre-order not funded"),
    "preorder_closed": N_("pre-order closed"),
    "pledge_made": N_("pledge made"),
    "pledge_changed": N_("pledge changed"),
    "pledge_withdrawn": N_("pledge withdrawn"),
}
APPEAL_STATUSES = {
    "pending": N_("pending"),
    "granted": N_("granted"),
    "rejected": N_("rejected"),
}
SANCTION_KINDS = {
    "warning": N_("warning"),
    "suspension": N_("suspension"),
    "ban": N_("ban"),
}
REPORT_REASONS = {
    "spam": N_("Spam"),
    "offensive": N_("Offensive"),
    "stolen_art": N_("Stolen art"),
    "off_topic": N_("Off-topic"),
    "other": N_("Other"),
}
# The report form's title for each kind of content: whole sentences (an article agrees with its noun).
REPORT_TITLES = {
    "design": N_("Report a design"),
    "comment": N_("Report a comment"),
    "profile": N_("Report a profile"),
    "idea": N_("Report an idea"),
    "survey_response": N_("Report a survey answer"),
    "review": N_("Report a review"),
    "question": N_("Report a question"),
    "answer": N_("Report an answer"),
}
# A queue item's heading for each kind of content ("A design · open"): whole words, an article agreeing with its noun.
SUBJECT_HEADINGS = {
    "design": N_("A design"),
    "comment": N_("A comment"),
    "profile": N_("A profile"),
    "idea": N_("An idea"),
    "survey_response": N_("A survey answer"),
    "review": N_("A review"),
    "question": N_("A question"),
    "answer": N_("An answer"),
}
GROUPS = {
    "subject": SUBJECT_KINDS,
    "status": ITEM_STATUSES,
    "flag": ITEM_FLAGS,
    "action": AUDIT_ACTIONS,
    "appeal": APPEAL_STATUSES,
    "sanction": SANCTION_KINDS,
    "reason": REPORT_REASONS,
}


def label(group: str, value: object) -> str:
    """``value`` of ``group`` ("subject", "status", "flag", "action", "appeal", "sanction", "reason") in words."""
    if value is None:
        return ""
    text = str(getattr(value, "value", value))
    found = GROUPS[group].get(text)
    return _(found) if found else text.replace("_", " ")


def report_title(kind: str) -> str:
    found = REPORT_TITLES.get(kind)
    return _(found) if found else _("Report this content (%(what)s)", what=label("subject", kind))


def subject_heading(kind: str) -> str:
    found = SUBJECT_HEADINGS.get(kind)
    if found:
        return _(found)
    words = label("subject", kind)
    return words[:1].upper() + words[1:]
