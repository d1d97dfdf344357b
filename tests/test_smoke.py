import pytest

PUBLIC_PAGES = [
    "/",
    "/strategie",
    "/strategie/versionen",
    "/strategie/versionen/1.0",
    "/strategie/vision",
    "/strategie/leitbild",
    "/strategie/leitkoordinate-1",
    "/strategie/mobilitaet-verkehr",
    "/strategie/mobilitaet-verkehr/zielbild-2",
    "/strategie/versionen/1.0/mobilitaet-verkehr/zielbild-2",
    "/login",
    "/register",
    "/passwort-vergessen",
    "/bestaetigung-erneut",
    "/seite/impressum",
    "/seite/datenschutz",
    "/seite/barrierefreiheit",
    "/seite/netiquette",
]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<meta name="csrf-token" content="' in html
    assert 'href="#main"' in html and '<main id="main"' in html
