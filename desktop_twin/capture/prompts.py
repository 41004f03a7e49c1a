"""The guided session's script: a consent statement, then timed prompts (read, turn, express, rest)."""

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from desktop_twin.errors import UserError
from desktop_twin.resources import RESOURCES_DIR

DEFAULT_SCRIPT = RESOURCES_DIR / "prompts" / "guided_session.json"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Prompt(_Strict):
    kind: Literal["read", "head", "expression", "neutral", "silence"]
    instruction: str
    text: str = ""  # the sentence to read, for "read" prompts
    seconds: float = Field(gt=0)

    @property
    def expects_speech(self) -> bool:
        return self.kind == "read"

    def __str__(self) -> str:
        return f"{self.instruction} {self.text}".strip()


class ConsentScript(_Strict):
    statement: str = Field(description="with {name} where the person's name goes")
    instruction: str
    seconds: float = Field(gt=0)


class GuidedScript(_Strict):
    version: int
    title: str
    sentences_source: str
    consent: ConsentScript
    prompts: list[Prompt] = Field(min_length=1)

    @property
    def seconds(self) -> float:
        return sum(p.seconds for p in self.prompts)

    def consent_statement(self, name: str) -> str:
        return self.consent.statement.format(name=name)

    def prompt_at(self, elapsed: float) -> tuple[int, Prompt]:
        """The prompt showing `elapsed` seconds into the take; past the end the script starts over."""
        position = elapsed % self.seconds
        for index, prompt in enumerate(self.prompts):
            if position < prompt.seconds:
                return index, prompt
            position -= prompt.seconds
        return len(self.prompts) - 1, self.prompts[-1]


def load_script(path: Path = DEFAULT_SCRIPT) -> GuidedScript:
    try:
        return GuidedScript.model_validate_json(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValidationError) as error:
        raise UserError(f"The guided session's script {path} cannot be read: {error}") from None
