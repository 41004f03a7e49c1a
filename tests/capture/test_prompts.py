from desktop_twin.capture.prompts import load_script


def test_the_guided_script_covers_reading_head_turns_expressions_rest_and_silence():
    script = load_script()
    kinds = {prompt.kind for prompt in script.prompts}
    assert kinds == {"read", "head", "expression", "neutral", "silence"}
    sentences = [p.text for p in script.prompts if p.kind == "read"]
    assert len(set(sentences)) >= 25 and "The birch canoe slid on the smooth planks." in sentences
    assert 120 <= script.seconds <= 300  # a few minutes
    assert "Harvard" in script.sentences_source


def test_the_consent_statement_names_the_person():
    statement = load_script().consent_statement("Ann Lee")
    assert statement.startswith("I am Ann Lee and I agree")
    assert "digital twin of my face and voice" in statement


def test_prompts_follow_each_other_in_time_and_the_script_starts_over_at_its_end():
    script = load_script()
    first = script.prompts[0]
    assert script.prompt_at(0.0) == (0, first)
    assert script.prompt_at(first.seconds) == (1, script.prompts[1])
    assert script.prompt_at(script.seconds + 0.1) == (0, first)
    assert script.prompt_at(script.seconds - 0.1)[0] == len(script.prompts) - 1
