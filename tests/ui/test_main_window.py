from desktop_twin.store import create_project
from desktop_twin.ui.main_window import MainWindow


def test_library_lists_the_twins_on_disk(qtbot):
    create_project("Ann")
    create_project("Bea")
    window = MainWindow()
    qtbot.addWidget(window)
    names = [window.twin_list.item(i).text() for i in range(window.twin_list.count())]
    assert names == ["Ann  (empty)", "Bea  (empty)"]
    assert window.empty_hint.isHidden()


def test_empty_library_says_how_to_start(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    assert window.twin_list.count() == 0
    assert "desktop-twin new" in window.empty_hint.text()
