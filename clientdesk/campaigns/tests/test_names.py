import pytest

from clientdesk.campaigns import names


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"first_name": "Иван", "patronymic": "Петрович", "gender": "m"},
            "Уважаемый Иван Петрович!",
        ),
        ({"first_name": "Анна", "patronymic": "Сергеевна"}, "Уважаемая Анна Сергеевна!"),
        ({"first_name": "Фарид", "patronymic": "Рашидович"}, "Уважаемый Фарид Рашидович!"),
        ({"first_name": "Саша", "last_name": "Ким"}, "Здравствуйте, Саша Ким!"),
        ({"first_name": "Мария", "last_name": "Иванова"}, "Уважаемая Мария Иванова!"),
        ({"first_name": "", "last_name": ""}, "Уважаемые коллеги!"),
    ],
)
def test_russian_salutation_agrees_with_gender(kwargs, expected):
    assert names.salutation(**kwargs) == expected


def test_registry_gender_wins_over_the_guess():
    assert names.salutation(first_name="Саша", patronymic="", last_name="Ким", gender="f") == (
        "Уважаемая Саша Ким!"
    )


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"first_name": "John", "last_name": "Smith", "gender": "m"}, "Dear Mr Smith,"),
        (
            {"first_name": "Анна", "patronymic": "Сергеевна", "last_name": "Orlova"},
            "Dear Ms Orlova,",
        ),
        ({"first_name": "Alex", "last_name": "Taylor"}, "Dear Alex Taylor,"),
    ],
)
def test_english_salutation(kwargs, expected):
    assert names.salutation(language="en", **kwargs) == expected


def test_dative_forms_of_names_and_positions():
    assert names.name_in_case("Петров", "Иван", "Петрович", "", "datv", "fp") == "Ивану Петровичу"
    assert names.name_in_case("Иванова", "Анна", "Сергеевна", "", "datv") == (
        "Анне Сергеевне Ивановой"
    )
    assert names.name_in_case("Петров", "Иван", "Петрович", "m", "datv", "li") == "Петрову И. П."
    assert names.position_in_case("Генеральный директор", "datv") == "Генеральному директору"
    assert names.position_in_case("Директор по продажам", "datv") == "Директору по продажам"
    assert names.position_in_case("Главный бухгалтер", "datv") == "Главному бухгалтеру"
