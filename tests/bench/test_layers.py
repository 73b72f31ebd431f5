"""bench.layers peels the built ASGI stack one layer at a time, each entry point answering the request."""

from fastapi import FastAPI
from starlette.middleware.errors import ServerErrorMiddleware

from bench.layers import call, http_scope, middleware_chain
from tests.servers import run_in_new_loop


def test_every_layer_of_the_stack_answers_the_request_down_to_the_router() -> None:
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    layers = middleware_chain(app)
    assert isinstance(layers[0], ServerErrorMiddleware)
    assert layers[-1] is app.router
    assert len(layers) >= 4
    scope = http_scope("GET", "/ping", [], app)
    assert [run_in_new_loop(call(layer, scope, b"")) for layer in layers] == [200] * len(layers)
    assert run_in_new_loop(call(layers[0], http_scope("GET", "/nothing", [], app), b"")) == 404
