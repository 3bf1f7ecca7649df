"""A fake OpenAI-compatible chat completions server on 127.0.0.1 (aiohttp).

It answers like the real service: the ``chat.completion`` envelope with ``usage``, the
``{"error": {...}}`` envelope with real statuses (400 bad body, 401 no/wrong key, 404 unknown
model, 429 with Retry-After, 500), and it insists on the word "json" in the messages when
``response_format`` is ``json_object``, as OpenAI does. Its answer is a deterministic three-part
JSON summary in the language the prompt asks for (Hangul for Korean). Like a model following
prompt v2, when the prompt carries the paper's body (``<fulltext>``) its Performance Highlights
quote the numbers of the first number-bearing sentence of the body's results/experiments
section (else of the body), and its Technical Details name the body's method section; without a
body it states no number at all. Tests read what the prompts contained with ``user_prompts()``.

Failures are injected per request: ``fake.inject("rate_limit", times=1)``; behaviours are
``ok``, ``malformed``, ``fenced`` (valid JSON in a Markdown fence), ``missing_key``, ``refuse``,
``empty``, ``rate_limit``, ``server_error``, ``hang``, ``null_message`` (a broken compatible
server: 200 with ``"message": null`` and ``"usage": null``).

Standalone, so the CLI can be tried against it::

    python -m tests.fakes.openai --port 8766 [--api-key sk-test] [--model fake-summarizer]
    LLM_BASE_URL=http://127.0.0.1:8766/v1 LLM_MODEL=fake-summarizer dailypapers ...
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

BEHAVIOURS = (
    "ok",
    "malformed",
    "fenced",
    "missing_key",
    "refuse",
    "empty",
    "rate_limit",
    "server_error",
    "hang",
    "null_message",
)

_TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)
_TARGET = re.compile(r"Target language:\s*([^\n]+)")
_FULLTEXT = re.compile(r"<fulltext>(.*?)</fulltext>", re.DOTALL)
_NUMBER = re.compile(r"(?<![\w.])\d+\.\d+%?|(?<![\w.])\d+%")
_RESULTS = re.compile(r"result|experiment|evaluat", re.IGNORECASE)


def body_numbers(body: str) -> list[str]:
    """The numbers a careful model would quote: the first results sentence that has some."""
    sections: list[tuple[str, str]] = []
    for block in re.split(r"^## ", body, flags=re.MULTILINE):
        heading, _, text = block.partition("\n")
        if text.strip():
            sections.append((heading.strip(), text))
    ordered = [t for h, t in sections if _RESULTS.search(h)] + [t for _h, t in sections]
    for text in ordered:
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            found = _NUMBER.findall(sentence)
            if found:
                return list(dict.fromkeys(found))[:3]
    return []


def _method_heading(body: str) -> str | None:
    for heading in re.findall(r"^## (.+)$", body, flags=re.MULTILINE):
        if re.search(r"method|approach|model", heading, re.IGNORECASE):
            return heading.strip()
    return None


def _with_body(parts: dict[str, str], language: str, body: str) -> dict[str, str]:
    """Prompt v2's promise: the paper's own numbers, and the method's specifics."""
    numbers = body_numbers(body)
    method = _method_heading(body)
    korean = language.lower().startswith("korean")
    if numbers:
        quoted = ", ".join(numbers)
        parts["performance_highlights"] += (
            f" 본문 실험 결과에서 {quoted}를 기록했습니다."
            if korean
            else f" The paper reports {quoted}."
        )
    if method:
        parts["technical_details"] += (
            f" 자세한 내용은 '{method}' 절에 설명되어 있습니다."
            if korean
            else f" The '{method}' section gives the specifics."
        )
    return parts


def _templates(language: str, title: str) -> dict[str, str]:
    """Three parts in the language (by its English name), mentioning the title."""
    lang = language.lower()
    if lang.startswith("korean"):
        return {
            "whats_new": f"이 연구는 {title}을(를) 소개합니다. 대규모 언어 모델(Large Language "
            "Models; LLMs)의 한계를 해결하는 새로운 접근법을 제시합니다.",
            "technical_details": "제안된 방법은 검색과 추론을 결합한 구조를 사용합니다. "
            "각 단계는 이전 단계의 결과를 바탕으로 학습됩니다.",
            "performance_highlights": "여러 벤치마크에서 기존 방법보다 우수한 성능을 "
            "보였습니다. 특히 복잡한 추론 작업에서 큰 향상을 기록했습니다.",
        }
    if lang.startswith("japanese"):
        return {
            "whats_new": f"本研究は{title}を紹介します。大規模言語モデル(LLMs)の課題に"
            "取り組む新しい手法です。",
            "technical_details": "提案手法は検索と推論を組み合わせた構造を用います。",
            "performance_highlights": "複数のベンチマークで既存手法を上回る性能を示しました。",
        }
    if lang.startswith("german"):
        return {
            "whats_new": f"Diese Arbeit stellt {title} vor. Sie adressiert Grenzen großer "
            "Sprachmodelle (Large Language Models).",
            "technical_details": "Die Methode kombiniert Retrieval und Reasoning in einer "
            "Pipeline.",
            "performance_highlights": "Auf mehreren Benchmarks übertrifft sie frühere Ansätze.",
        }
    if lang.startswith("french"):
        return {
            "whats_new": f"Cet article présente {title}. Il répond aux limites des grands "
            "modèles de langage (Large Language Models).",
            "technical_details": "La méthode combine recherche et raisonnement.",
            "performance_highlights": "Elle dépasse les approches existantes sur plusieurs "
            "benchmarks.",
        }
    if lang.startswith("spanish"):
        return {
            "whats_new": f"Este trabajo presenta {title}. Aborda los límites de los grandes "
            "modelos de lenguaje (Large Language Models).",
            "technical_details": "El método combina recuperación y razonamiento.",
            "performance_highlights": "Supera a los enfoques previos en varios benchmarks.",
        }
    prefix = "" if lang.startswith("english") else f"[{language}] "
    return {
        "whats_new": f"{prefix}This paper introduces {title}. It addresses limits of large "
        "language models.",
        "technical_details": f"{prefix}The method combines retrieval with step-by-step reasoning.",
        "performance_highlights": f"{prefix}It outperforms prior approaches on several benchmarks.",
    }


def _error(status: int, message: str, type_: str, code: str | None = None) -> web.Response:
    body = {"error": {"message": message, "type": type_, "param": None, "code": code}}
    return web.json_response(body, status=status)


@dataclass
class _Injection:
    behaviour: str
    times: int | None  # None: every matching request
    when: str | None
    retry_after: str | None


class FakeOpenAI:
    """``POST /v1/chat/completions`` (and ``GET /v1/models``) on 127.0.0.1."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        models: tuple[str, ...] = ("fake-summarizer",),
        delay: float = 0.0,
        hang_seconds: float = 60.0,
    ) -> None:
        self.api_key = api_key
        self.models = models
        self.delay = delay
        self.hang_seconds = hang_seconds
        self.calls = 0  # every request to /v1/chat/completions, whatever the answer
        self.requests: list[dict[str, Any]] = []  # the bodies that parsed as JSON
        self.answers: list[str] = []  # the behaviour each request got
        self.in_flight = 0
        self.max_in_flight = 0
        self._injections: list[_Injection] = []
        self._ids = itertools.count(1)
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # --- control ------------------------------------------------------------------------

    def inject(
        self,
        behaviour: str,
        *,
        times: int | None = 1,
        when: str | None = None,
        retry_after: str | None = "1",
    ) -> None:
        """Answer the next ``times`` requests (whose prompt contains ``when``) this way."""
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}")
        self._injections.append(_Injection(behaviour, times, when, retry_after))

    def reset(self) -> None:
        self._injections.clear()
        self.calls = 0
        self.requests.clear()
        self.answers.clear()
        self.max_in_flight = 0

    def user_prompts(self) -> list[str]:
        """The user message of every request received, in order."""
        return [
            str(m.get("content", ""))
            for body in self.requests
            for m in body.get("messages", [])
            if m.get("role") == "user"
        ]

    def _pick(self, prompt: str) -> _Injection | None:
        for injection in self._injections:
            if injection.when is not None and injection.when not in prompt:
                continue
            if injection.times is not None:
                injection.times -= 1
                if injection.times <= 0:
                    self._injections.remove(injection)
            return injection
        return None

    # --- server -------------------------------------------------------------------------

    async def start(self, port: int = 0, host: str = "127.0.0.1") -> str:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        real_port = sockets[0].getsockname()[1]
        self.base_url = f"http://{host}:{real_port}/v1"
        return self.base_url

    async def stop(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeOpenAI:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- handlers -----------------------------------------------------------------------

    def _auth(self, request: web.Request) -> web.Response | None:
        if self.api_key is None:
            return None
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or not header[7:].strip():
            return _error(
                401,
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                "invalid_request_error",
            )
        key = header[7:].strip()
        if key != self.api_key:
            shown = f"{key[:3]}*****{key[-4:]}" if len(key) > 8 else "*****"
            return _error(
                401,
                f"Incorrect API key provided: {shown}.",
                "invalid_request_error",
                "invalid_api_key",
            )
        return None

    async def _models(self, request: web.Request) -> web.Response:
        refused = self._auth(request)
        if refused is not None:
            return refused
        data = [
            {"id": m, "object": "model", "created": 1700000000, "owned_by": "fake"}
            for m in self.models
        ]
        return web.json_response({"object": "list", "data": data})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        self.calls += 1
        refused = self._auth(request)
        if refused is not None:
            self.answers.append("unauthorized")
            return refused
        try:
            body = json.loads(await request.text())
        except ValueError:
            self.answers.append("bad_request")
            return _error(
                400,
                "We could not parse the JSON body of your request. (HINT: This likely means "
                "you aren't using your HTTP library correctly.)",
                "invalid_request_error",
            )
        problem = self._validate(body)
        if problem is not None:
            self.answers.append("bad_request")
            return problem
        self.requests.append(body)
        prompt = "\n".join(str(m.get("content", "")) for m in body["messages"])
        injection = self._pick(prompt)
        behaviour = injection.behaviour if injection else "ok"
        self.answers.append(behaviour)

        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if behaviour == "hang":
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._release.wait(), timeout=self.hang_seconds)
            if behaviour == "rate_limit":
                response = _error(
                    429,
                    f"Rate limit reached for {body['model']} on requests per min (RPM): "
                    "Limit 3, Used 3, Requested 1. Please try again in 1s.",
                    "requests",
                    "rate_limit_exceeded",
                )
                if injection and injection.retry_after is not None:
                    response.headers["Retry-After"] = injection.retry_after
                return response
            if behaviour == "server_error":
                return _error(
                    500,
                    "The server had an error while processing your request. Sorry about that!",
                    "server_error",
                )
            answer = self._completion(body, behaviour)
            if behaviour == "null_message":
                answer["choices"][0]["message"] = None
                answer["usage"] = None
            return web.json_response(answer)
        finally:
            self.in_flight -= 1

    def _validate(self, body: Any) -> web.Response | None:
        if not isinstance(body, dict):
            return _error(400, "Invalid request body.", "invalid_request_error")
        model = body.get("model")
        if not model:
            return _error(400, "you must provide a model parameter", "invalid_request_error", None)
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return _error(
                400, "[] is too short - 'messages'", "invalid_request_error", "invalid_value"
            )
        for message in messages:
            if not isinstance(message, dict) or message.get("role") not in (
                "system",
                "user",
                "assistant",
                "developer",
            ):
                return _error(400, "Invalid value for 'messages'.", "invalid_request_error", None)
        response_format = body.get("response_format") or {}
        if response_format.get("type") == "json_object":
            text = " ".join(str(m.get("content", "")) for m in messages).lower()
            if "json" not in text:
                return _error(
                    400,
                    "'messages' must contain the word 'json' in some form, to use "
                    "'response_format' of type 'json_object'.",
                    "invalid_request_error",
                )
        if model not in self.models:
            return _error(
                404,
                f"The model `{model}` does not exist or you do not have access to it.",
                "invalid_request_error",
                "model_not_found",
            )
        return None

    def _completion(self, body: dict[str, Any], behaviour: str) -> dict[str, Any]:
        user = next(
            (str(m.get("content", "")) for m in reversed(body["messages"]) if m["role"] == "user"),
            "",
        )
        title_match = _TITLE.search(user)
        title = " ".join(title_match.group(1).split()) if title_match else "this work"
        target = _TARGET.search(user)
        language = target.group(1).strip() if target else "English"
        parts = _templates(language, title)
        fulltext = _FULLTEXT.search(user)
        if fulltext:
            parts = _with_body(parts, language, fulltext.group(1))

        content: str | None
        refusal: str | None = None
        if behaviour == "malformed":
            content = json.dumps(parts, ensure_ascii=False)[:-10]  # cut off mid-string
        elif behaviour == "fenced":
            content = "```json\n" + json.dumps(parts, ensure_ascii=False, indent=2) + "\n```"
        elif behaviour == "missing_key":
            parts.pop("technical_details")
            content = json.dumps(parts, ensure_ascii=False)
        elif behaviour == "refuse":
            content = None
            refusal = "I'm sorry, but I can't assist with that request."
        elif behaviour == "empty":
            content = ""
        else:
            content = json.dumps(parts, ensure_ascii=False)

        prompt_chars = sum(len(str(m.get("content", ""))) for m in body["messages"])
        prompt_tokens = max(1, prompt_chars // 4)
        completion_tokens = len(content or refusal or "") // 4
        return {
            "id": f"chatcmpl-fake{next(self._ids):06d}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": refusal},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
            "system_fingerprint": "fp_fake",
        }


async def _serve(port: int, api_key: str | None, models: tuple[str, ...], delay: float) -> None:
    fake = FakeOpenAI(api_key=api_key, models=models, delay=delay)
    base_url = await fake.start(port=port)
    print(f"FakeOpenAI listening on {base_url} (models: {', '.join(models)})", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake OpenAI-compatible chat completions")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--api-key", default=None, help="require this bearer key")
    parser.add_argument("--model", action="append", help="accepted model (repeatable)")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before answering")
    args = parser.parse_args(argv)
    models = tuple(args.model or ["fake-summarizer"])
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port, args.api_key, models, args.delay))


if __name__ == "__main__":
    main()
