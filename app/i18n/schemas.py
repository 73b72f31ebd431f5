from pydantic import BaseModel, Field


class Preferences(BaseModel):
    locale: str | None = Field(
        default=None, description="Pages, e-mails and messages in `en`, `es` or `de`; null: the browser's language."
    )
    time_zone: str | None = Field(default=None, description="An IANA time zone (`Europe/Berlin`); null: UTC.")


class Language(BaseModel):
    code: str
    name: str
