from amanat.lib.nationalid import (
    is_valid_national_id,
    national_id_problem,
    normalize_national_id,
    with_check_digit,
)


def test_valid_ids_pass_and_persian_digits_are_read() -> None:
    assert is_valid_national_id("0499370899")
    assert is_valid_national_id("۰۴۹۹۳۷۰۸۹۹")
    assert normalize_national_id("049-937 0899") == "0499370899"
    assert is_valid_national_id(with_check_digit("123456789"))


def test_each_problem_is_named() -> None:
    assert national_id_problem("0499370898") == "check_digit"
    assert national_id_problem("12345") == "length"
    assert national_id_problem("04993708a9") == "digits"
    assert national_id_problem("1111111111") == "repeated"
