"""The JSON API is documented: every /api/v1 route is in the OpenAPI, and /docs works without reaching a CDN."""

from fastapi.testclient import TestClient

from tests.test_permissions import route_table


def test_every_api_route_is_in_the_openapi(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    documented = {(path, method.upper()) for path, item in spec["paths"].items() for method in item}
    app_routes = {
        (route.path, route.method)
        for route in route_table(client.app)
        if route.path.startswith("/api/v1/")  # type: ignore[arg-type]
    }
    assert len(app_routes) > 30
    assert app_routes <= documented, app_routes - documented
    assert ("/api/v1/users", "POST") in documented
    assert ("/api/v1/communities/{community_slug}/members", "GET") in documented
    assert ("/api/v1/admin/brands", "POST") in documented
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"


def test_docs_page_uses_the_vendored_swagger_ui(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/static/js/swagger-ui-bundle-5.35.0.js" in page.text
    assert "cdn" not in page.text.lower()
    assert client.get("/static/js/swagger-ui-bundle-5.35.0.js").status_code == 200
    assert client.get("/static/css/swagger-ui-5.35.0.css").status_code == 200
