"""The bot's own messages in English and Korean (help, errors, settings).

Paper content is summarised in any language (see summaries); the bot's own sentences come from
this catalogue and fall back to English for languages it does not hold.
"""

from __future__ import annotations

from typing import Any

CATALOGUE: dict[str, dict[str, str]] = {
    "en": {
        "help": (
            "I deliver Hugging Face Daily Papers: the AI research papers the community featured "
            "each weekday.\n\n"
            "/today: the latest finished day's papers\n"
            "/date YYYY-MM-DD: papers of a given day (also: yesterday)\n"
            "/top [N] [week|month]: the most voted papers of the past week or month\n"
            "/search WORDS: search every paper in the archive\n"
            "/paper ARXIV_ID: one paper's full card (e.g. /paper 2501.05366)\n"
            "/subscribe: get the digest here every morning (admins)\n"
            "/unsubscribe: stop the morning digest (admins)\n"
            "/settings: show or change this chat's settings (admins)\n"
            "/like ID, /dislike ID: teach this chat what it wants to read first (👍/👎)\n"
            "/foryou [N]: unrated papers of the last two weeks you are most likely to like\n"
            "/ratings: this chat's 👍/👎\n"
            "/help: this message"
        ),
        "settings_help": (
            "Change one setting with /settings KEY VALUE:\n"
            "time HH:MM (e.g. 08:30), timezone Area/City (e.g. Asia/Seoul), "
            "language en|ko|any language name, style compact|cards, top 1-50, minvotes 0+, "
            "include word, word (or 'none'), exclude word, word (or 'none'), "
            "emptynote on|off, paused on|off, rank votes|personal|reset"
        ),
        "today_title": "Daily Papers ({day})",
        "today_intro": "{count} papers featured on Hugging Face on {day}, most voted first.",
        "date_intro": "{count} papers featured on Hugging Face on {day}.",
        "no_papers_day": (
            "No papers were featured on {day}. Weekends and holidays are empty; "
            "try /today or another weekday."
        ),
        "day_in_future": "{day} is in the future. Try /today for the latest papers.",
        "day_not_finished": (
            "{day} is still being filled on Hugging Face; here is what is featured so far."
        ),
        "bad_date": (
            "'{value}' is not a date I understand. Use YYYY-MM-DD (e.g. /date 2025-01-10), "
            "'today' or 'yesterday'."
        ),
        "date_usage": "Which day? Use /date YYYY-MM-DD (e.g. /date 2025-01-10) or /date yesterday.",
        "top_title": "Top {n} papers of the past {period}",
        "top_intro": "The most voted papers featured between {start} and {end}.",
        "top_empty": "No papers were featured from {start} to {end}.",
        "bad_top": (
            "Use /top [N] [week|month], with N from 1 to {max} (e.g. /top 5 month). "
            "'{value}' is not valid."
        ),
        "period_week": "week",
        "period_month": "month",
        "search_usage": "What should I look for? Use /search WORDS (e.g. /search diffusion).",
        "search_too_long": "That query is too long ({length} characters); keep it under {max}.",
        "search_title": "Search: {query}",
        "search_intro": "{count} papers match '{query}', best match first.",
        "search_empty": "No stored paper matches '{query}'. Try fewer or other words.",
        "search_empty_archive": (
            "The archive holds no papers yet, so there is nothing to search. It fills as days "
            "are fetched (operators: dailypapers fetch --since YYYY-MM-DD)."
        ),
        "paper_usage": "Which paper? Use /paper ARXIV_ID (e.g. /paper 2501.05366).",
        "bad_paper_id": (
            "'{value}' is not an arXiv id. Ids look like 2501.05366 (an arxiv.org or "
            "huggingface.co/papers link works too)."
        ),
        "paper_not_found": "I could not find paper {arxiv_id} on Hugging Face.",
        "not_admin": (
            "Sorry, only this chat's admins can change its subscription and settings. "
            "Ask an admin to do it."
        ),
        "subscribed": (
            "Subscribed. The digest will arrive every day at {time} ({timezone}). "
            "Change it with /settings."
        ),
        "already_subscribed": (
            "This chat is already subscribed: the digest arrives at {time} ({timezone})."
        ),
        "unsubscribed": "Unsubscribed. No more morning digests here; /subscribe to come back.",
        "not_subscribed": "This chat is not subscribed. Use /subscribe to get the morning digest.",
        "settings_title": "Settings for this chat",
        "settings_show": (
            "Subscribed: {subscribed}\n"
            "Time: {time} ({timezone})\n"
            "Language: {language}\n"
            "Style: {style}\n"
            "Top: {top}\n"
            "Minimum votes: {minvotes}\n"
            "Include: {include}\n"
            "Exclude: {exclude}\n"
            "Note on empty days: {emptynote}\n"
            "Paused: {paused}\n"
            "Order: {rank}"
        ),
        "setting_changed": "Done: {key} is now {value}.",
        "unknown_setting": "There is no setting '{key}'. Settings: {keys}.",
        "bad_setting": "'{value}' is not a valid {key}. {valid}",
        "valid_time": "Use HH:MM in 24-hour time, e.g. 08:30.",
        "valid_timezone": "Use an IANA timezone name such as UTC, Europe/Berlin or Asia/Seoul.",
        "valid_language": "Use en, ko or a language name such as Japanese.",
        "valid_style": "Use compact (one list) or cards (one message per paper).",
        "valid_top": "Use a whole number from 1 to 50.",
        "valid_minvotes": "Use a whole number from 0 up.",
        "valid_keywords": "Use words separated by commas, or 'none' to clear.",
        "valid_onoff": "Use on or off.",
        "yes": "yes",
        "no": "no",
        "none": "none",
        "unknown_command": "I don't know /{name}. Try /help.",
        "text_hint": "Send /help to see what I can do.",
        "source_down": "Hugging Face could not be reached right now. Please try again in a while.",
        "internal_error": "Something went wrong on my side. Please try again later.",
        "empty_note": "No papers for {day} matched this chat's filters.",
        "thread_gone_note": (
            "The topic this chat's digest was set to post in no longer exists, so it is "
            "posted here from now on."
        ),
        "button_arxiv": "arXiv",
        "button_hf": "Hugging Face",
        "button_more": "More of the day",
        "button_subscribe": "Subscribe",
        "button_unsubscribe": "Unsubscribe",
        "button_style": "Style: {style}",
        "button_pause": "Pause",
        "button_resume": "Resume",
        "valid_rank": (
            "Use votes (most voted first), personal (what this chat likes first, learnt from "
            "👍/👎) or reset (forget this chat's ratings)."
        ),
        "rank_votes": "most voted first",
        "rank_personal": "personal (learnt from 👍/👎)",
        "today_intro_personal": (
            "{count} papers featured on Hugging Face on {day}, in this chat's order "
            "(learnt from 👍/👎)."
        ),
        "because_liked": "Because you liked “{title}”",
        "like_usage": "Which paper? Use /like ARXIV_ID or /dislike ARXIV_ID (e.g. /like 2501.05366).",
        "liked": "👍 Noted: “{title}”. This chat has {count} rated papers.",
        "disliked": "👎 Noted: “{title}”. This chat has {count} rated papers.",
        "rating_unchanged": "You had already rated “{title}” that way.",
        "ratings_title": "This chat's ratings",
        "ratings_intro": "{count} rated papers ({likes} 👍, {dislikes} 👎), latest first:",
        "ratings_empty": (
            "No ratings yet. Press 👍 or 👎 under a paper (or /like ARXIV_ID) and turn on "
            "/settings rank personal to see what this chat likes first."
        ),
        "ratings_more": "… and {count} more.",
        "rank_reset": "Forgot this chat's {count} ratings.",
        "foryou_usage": "Use /foryou [N], with N from 1 to {max} (e.g. /foryou 5). '{value}' is not valid.",
        "foryou_title": "For you",
        "foryou_intro": (
            "{count} papers from {start} to {end} you have not rated, most likely to interest "
            "this chat first."
        ),
        "foryou_cold": (
            "I don't know this chat's taste yet. Press 👍 or 👎 under a few papers (or "
            "/like ARXIV_ID), or set /settings include with a few words."
        ),
        "foryou_empty": "You have rated every paper from {start} to {end}.",
        "button_like": "👍",
        "button_dislike": "👎",
        "rating_not_member": "Only members of that channel can rate its papers.",
    },
    "ko": {
        "help": (
            "Hugging Face Daily Papers를 전해 드립니다: 커뮤니티가 매 평일 소개하는 AI 연구 논문입니다.\n\n"
            "/today: 가장 최근에 마감된 날의 논문\n"
            "/date YYYY-MM-DD: 특정 날짜의 논문 (yesterday도 가능)\n"
            "/top [N] [week|month]: 지난 주 또는 지난 달 가장 많은 추천을 받은 논문\n"
            "/search 검색어: 보관된 모든 논문 검색\n"
            "/paper ARXIV_ID: 논문 한 편의 전체 카드 (예: /paper 2501.05366)\n"
            "/subscribe: 매일 아침 이 채팅에서 다이제스트 받기 (관리자)\n"
            "/unsubscribe: 아침 다이제스트 중지 (관리자)\n"
            "/settings: 이 채팅의 설정 보기 또는 변경 (관리자)\n"
            "/like ID, /dislike ID: 이 채팅이 먼저 읽고 싶은 논문을 알려 주기 (👍/👎)\n"
            "/foryou [N]: 지난 2주 동안 평가하지 않은 논문 중 좋아할 만한 논문\n"
            "/ratings: 이 채팅의 👍/👎 목록\n"
            "/help: 이 도움말"
        ),
        "settings_help": (
            "/settings 항목 값 으로 설정 하나를 바꿉니다:\n"
            "time HH:MM (예: 08:30), timezone 지역/도시 (예: Asia/Seoul), "
            "language en|ko|언어 이름, style compact|cards, top 1-50, minvotes 0 이상, "
            "include 단어, 단어 (또는 none), exclude 단어, 단어 (또는 none), "
            "emptynote on|off, paused on|off, rank votes|personal|reset"
        ),
        "today_title": "Daily Papers ({day})",
        "today_intro": "{day}에 Hugging Face에 소개된 논문 {count}편 (추천 많은 순).",
        "date_intro": "{day}에 Hugging Face에 소개된 논문 {count}편.",
        "no_papers_day": (
            "{day}에는 소개된 논문이 없습니다. 주말과 공휴일은 비어 있습니다. "
            "/today 또는 다른 평일을 시도해 보세요."
        ),
        "day_in_future": "{day}은(는) 미래의 날짜입니다. 최신 논문은 /today 로 보세요.",
        "day_not_finished": "{day}은(는) 아직 Hugging Face에서 채워지는 중입니다. 지금까지의 논문입니다.",
        "bad_date": (
            "'{value}'은(는) 알 수 없는 날짜입니다. YYYY-MM-DD (예: /date 2025-01-10), "
            "'today' 또는 'yesterday'를 사용하세요."
        ),
        "date_usage": "어느 날짜인가요? /date YYYY-MM-DD (예: /date 2025-01-10) 또는 /date yesterday",
        "top_title": "지난 {period} 상위 {n}편",
        "top_intro": "{start}부터 {end}까지 소개된 논문 중 가장 많은 추천을 받은 논문입니다.",
        "top_empty": "{start}부터 {end}까지 소개된 논문이 없습니다.",
        "bad_top": (
            "/top [N] [week|month] 형식으로, N은 1에서 {max} 사이입니다 (예: /top 5 month). "
            "'{value}'은(는) 올바르지 않습니다."
        ),
        "period_week": "주",
        "period_month": "달",
        "search_usage": "무엇을 찾을까요? /search 검색어 (예: /search diffusion)",
        "search_too_long": "검색어가 너무 깁니다 ({length}자). {max}자 이하로 입력하세요.",
        "search_title": "검색: {query}",
        "search_intro": "'{query}'와(과) 일치하는 논문 {count}편 (관련도 순).",
        "search_empty": "'{query}'와(과) 일치하는 논문이 없습니다. 다른 단어로 시도해 보세요.",
        "search_empty_archive": (
            "아직 보관된 논문이 없어 검색할 수 없습니다. 날짜별 논문을 가져오면 채워집니다 "
            "(운영자: dailypapers fetch --since YYYY-MM-DD)."
        ),
        "paper_usage": "어떤 논문인가요? /paper ARXIV_ID (예: /paper 2501.05366)",
        "bad_paper_id": (
            "'{value}'은(는) arXiv ID가 아닙니다. ID는 2501.05366 같은 형식입니다 "
            "(arxiv.org 또는 huggingface.co/papers 링크도 됩니다)."
        ),
        "paper_not_found": "Hugging Face에서 논문 {arxiv_id}을(를) 찾을 수 없습니다.",
        "not_admin": "죄송합니다. 이 채팅의 구독과 설정은 관리자만 바꿀 수 있습니다. 관리자에게 요청하세요.",
        "subscribed": (
            "구독했습니다. 매일 {time} ({timezone})에 다이제스트가 도착합니다. "
            "/settings 로 바꿀 수 있습니다."
        ),
        "already_subscribed": "이미 구독 중입니다: 다이제스트는 {time} ({timezone})에 도착합니다.",
        "unsubscribed": "구독을 해지했습니다. 다시 받으려면 /subscribe 를 사용하세요.",
        "not_subscribed": "이 채팅은 구독 중이 아닙니다. /subscribe 로 아침 다이제스트를 받으세요.",
        "settings_title": "이 채팅의 설정",
        "settings_show": (
            "구독: {subscribed}\n"
            "시간: {time} ({timezone})\n"
            "언어: {language}\n"
            "형식: {style}\n"
            "상위: {top}\n"
            "최소 추천 수: {minvotes}\n"
            "포함 키워드: {include}\n"
            "제외 키워드: {exclude}\n"
            "빈 날 알림: {emptynote}\n"
            "일시 중지: {paused}\n"
            "순서: {rank}"
        ),
        "setting_changed": "완료: {key}이(가) 이제 {value}입니다.",
        "unknown_setting": "'{key}'라는 설정은 없습니다. 설정 항목: {keys}.",
        "bad_setting": "'{value}'은(는) 올바른 {key} 값이 아닙니다. {valid}",
        "valid_time": "24시간제 HH:MM 형식을 사용하세요 (예: 08:30).",
        "valid_timezone": "UTC, Europe/Berlin, Asia/Seoul 같은 IANA 시간대 이름을 사용하세요.",
        "valid_language": "en, ko 또는 Japanese 같은 언어 이름을 사용하세요.",
        "valid_style": "compact (목록 하나) 또는 cards (논문마다 메시지 하나)를 사용하세요.",
        "valid_top": "1에서 50 사이의 정수를 사용하세요.",
        "valid_minvotes": "0 이상의 정수를 사용하세요.",
        "valid_keywords": "쉼표로 구분한 단어, 또는 지우려면 none 을 사용하세요.",
        "valid_onoff": "on 또는 off 를 사용하세요.",
        "yes": "예",
        "no": "아니요",
        "none": "없음",
        "unknown_command": "/{name} 명령은 모릅니다. /help 를 보세요.",
        "text_hint": "/help 를 보내면 사용법을 알려 드립니다.",
        "source_down": "지금은 Hugging Face에 연결할 수 없습니다. 잠시 후 다시 시도하세요.",
        "internal_error": "문제가 발생했습니다. 잠시 후 다시 시도하세요.",
        "empty_note": "{day}에는 이 채팅의 필터에 맞는 논문이 없습니다.",
        "thread_gone_note": (
            "다이제스트를 올리던 토픽이 더 이상 없어서, 앞으로는 이곳에 올립니다."
        ),
        "button_arxiv": "arXiv",
        "button_hf": "Hugging Face",
        "button_more": "그날의 논문 더 보기",
        "button_subscribe": "구독",
        "button_unsubscribe": "구독 해지",
        "button_style": "형식: {style}",
        "button_pause": "일시 중지",
        "button_resume": "다시 시작",
        "valid_rank": (
            "votes (추천 많은 순), personal (👍/👎로 배운 이 채팅의 취향 순) 또는 "
            "reset (이 채팅의 평가 지우기)를 사용하세요."
        ),
        "rank_votes": "추천 많은 순",
        "rank_personal": "개인화 (👍/👎로 학습)",
        "today_intro_personal": "{day}에 Hugging Face에 소개된 논문 {count}편 (👍/👎로 배운 이 채팅의 순서).",
        "because_liked": "“{title}”을(를) 좋아하셔서",
        "like_usage": "어떤 논문인가요? /like ARXIV_ID 또는 /dislike ARXIV_ID (예: /like 2501.05366)",
        "liked": "👍 기록했습니다: “{title}”. 이 채팅이 평가한 논문은 {count}편입니다.",
        "disliked": "👎 기록했습니다: “{title}”. 이 채팅이 평가한 논문은 {count}편입니다.",
        "rating_unchanged": "“{title}”은(는) 이미 그렇게 평가하셨습니다.",
        "ratings_title": "이 채팅의 평가",
        "ratings_intro": "평가한 논문 {count}편 (👍 {likes}, 👎 {dislikes}), 최근 순:",
        "ratings_empty": (
            "아직 평가가 없습니다. 논문 아래의 👍 또는 👎 (또는 /like ARXIV_ID)를 누르고 "
            "/settings rank personal 을 켜 보세요."
        ),
        "ratings_more": "… 그리고 {count}편 더.",
        "rank_reset": "이 채팅의 평가 {count}개를 지웠습니다.",
        "foryou_usage": "/foryou [N] 형식으로, N은 1에서 {max} 사이입니다 (예: /foryou 5). '{value}'은(는) 올바르지 않습니다.",
        "foryou_title": "추천 논문",
        "foryou_intro": "{start}부터 {end}까지 아직 평가하지 않은 논문 {count}편 (관심 있을 만한 순).",
        "foryou_cold": (
            "아직 이 채팅의 취향을 모릅니다. 논문 몇 편에 👍 또는 👎 (또는 /like ARXIV_ID)를 "
            "누르거나 /settings include 로 단어 몇 개를 정해 주세요."
        ),
        "foryou_empty": "{start}부터 {end}까지의 논문을 모두 평가하셨습니다.",
        "button_like": "👍",
        "button_dislike": "👎",
        "rating_not_member": "그 채널의 구독자만 논문을 평가할 수 있습니다.",
    },
}

COMMAND_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "en": {
        "today": "The latest finished day's papers",
        "date": "Papers of a given day: /date YYYY-MM-DD",
        "top": "Most voted papers: /top [N] [week|month]",
        "search": "Search the archive: /search WORDS",
        "paper": "One paper's card: /paper ARXIV_ID",
        "subscribe": "Get the digest here every morning",
        "unsubscribe": "Stop the morning digest",
        "settings": "Show or change this chat's settings",
        "like": "👍 a paper: /like ARXIV_ID",
        "dislike": "👎 a paper: /dislike ARXIV_ID",
        "ratings": "This chat's 👍/👎",
        "foryou": "Unrated papers you are most likely to like: /foryou [N]",
        "help": "What I can do",
    },
    "ko": {
        "today": "가장 최근에 마감된 날의 논문",
        "date": "특정 날짜의 논문: /date YYYY-MM-DD",
        "top": "추천 많은 논문: /top [N] [week|month]",
        "search": "논문 검색: /search 검색어",
        "paper": "논문 카드: /paper ARXIV_ID",
        "subscribe": "매일 아침 다이제스트 받기",
        "unsubscribe": "아침 다이제스트 중지",
        "settings": "이 채팅의 설정 보기/변경",
        "like": "논문에 👍: /like ARXIV_ID",
        "dislike": "논문에 👎: /dislike ARXIV_ID",
        "ratings": "이 채팅의 👍/👎",
        "foryou": "좋아할 만한 평가 안 한 논문: /foryou [N]",
        "help": "사용법",
    },
}


def catalogue_language(language: str) -> str:
    """The catalogue that serves ``language`` (English for languages we do not hold)."""
    code = language.strip().lower()
    if code in CATALOGUE:
        return code
    if code in {"korean", "한국어"}:
        return "ko"
    return "en"


def t(key: str, language: str = "en", /, **values: Any) -> str:
    """The message ``key`` in ``language``, formatted with ``values``."""
    lang = catalogue_language(language)
    template = CATALOGUE[lang].get(key) or CATALOGUE["en"][key]
    return template.format(**values) if values else template
