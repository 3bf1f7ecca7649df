# The bot's own messages (ko). Keys are the ids t() takes; see bot/i18n.py.

help =
    Hugging Face Daily Papers를 전해 드립니다: 커뮤니티가 매 평일 소개하는 AI 연구 논문입니다.

    /today: 가장 최근에 마감된 날의 논문
    /date YYYY-MM-DD: 특정 날짜의 논문 (yesterday도 가능)
    /top [N] [week|month]: 지난 주 또는 지난 달 가장 많은 추천을 받은 논문
    /search 검색어: 보관된 모든 논문 검색
    /paper ARXIV_ID: 논문 한 편의 전체 카드 (예: /paper 2501.05366)
    /subscribe: 매일 아침 이 채팅에서 다이제스트 받기 (관리자)
    /unsubscribe: 아침 다이제스트 중지 (관리자)
    /settings: 이 채팅의 설정 보기 또는 변경 (관리자)
    /like ID, /dislike ID: 이 채팅이 먼저 읽고 싶은 논문을 알려 주기 (👍/👎)
    /foryou [N]: 지난 2주 동안 평가하지 않은 논문 중 좋아할 만한 논문
    /ratings: 이 채팅의 👍/👎 목록
    /help: 이 도움말
settings_help =
    /settings 항목 값 으로 설정 하나를 바꿉니다:
    time HH:MM (예: 08:30), timezone 지역/도시 (예: Asia/Seoul), language en|ko|언어 이름, style compact|cards, top 1-50, minvotes 0 이상, include 단어, 단어 (또는 none), exclude 단어, 단어 (또는 none), emptynote on|off, paused on|off, digest daily|weekly|monthly, weekday mon..sun, rank votes|personal|reset
today_title = Daily Papers ({ $day })
today_intro = { $day }에 Hugging Face에 소개된 논문 { $count }편 (추천 많은 순).
date_intro = { $day }에 Hugging Face에 소개된 논문 { $count }편.
no_papers_day = { $day }에는 소개된 논문이 없습니다. 주말과 공휴일은 비어 있습니다. /today 또는 다른 평일을 시도해 보세요.
day_in_future = { $day }은(는) 미래의 날짜입니다. 최신 논문은 /today 로 보세요.
day_not_finished = { $day }은(는) 아직 Hugging Face에서 채워지는 중입니다. 지금까지의 논문입니다.
bad_date = '{ $value }'은(는) 알 수 없는 날짜입니다. YYYY-MM-DD (예: /date 2025-01-10), 'today' 또는 'yesterday'를 사용하세요.
date_usage = 어느 날짜인가요? /date YYYY-MM-DD (예: /date 2025-01-10) 또는 /date yesterday
top_title = 최근 { $period } 상위 { $n }편
top_intro = { $start }부터 { $end }까지 소개된 논문 중 가장 많은 추천을 받은 논문입니다.
top_empty = { $start }부터 { $end }까지 소개된 논문이 없습니다.
bad_top = /top [N] [week|month] 형식으로, N은 1에서 { $max } 사이입니다 (예: /top 5 month). '{ $value }'은(는) 올바르지 않습니다.
period_week = 7일
period_month = 30일
search_usage = 무엇을 찾을까요? /search 검색어 (예: /search diffusion)
search_too_long = 검색어가 너무 깁니다 ({ $length }자). { $max }자 이하로 입력하세요.
search_title = 검색: { $query }
search_intro = '{ $query }'와(과) 일치하는 논문 { $count }편 (관련도 순).
search_empty = '{ $query }'와(과) 일치하는 논문이 없습니다. 다른 단어로 시도해 보세요.
search_empty_archive = 아직 보관된 논문이 없어 검색할 수 없습니다. 날짜별 논문을 가져오면 채워집니다 (운영자: dailypapers fetch --since YYYY-MM-DD).
paper_usage = 어떤 논문인가요? /paper ARXIV_ID (예: /paper 2501.05366)
bad_paper_id = '{ $value }'은(는) arXiv ID가 아닙니다. ID는 2501.05366 같은 형식입니다 (arxiv.org 또는 huggingface.co/papers 링크도 됩니다).
paper_not_found = Hugging Face에서 논문 { $arxiv_id }을(를) 찾을 수 없습니다.
not_admin = 죄송합니다. 이 채팅의 구독과 설정은 관리자만 바꿀 수 있습니다. 관리자에게 요청하세요.
subscribed = 구독했습니다. 매일 { $time } ({ $timezone })에 다이제스트가 도착합니다. /settings 로 바꿀 수 있습니다.
already_subscribed = 이미 구독 중입니다: 다이제스트는 { $time } ({ $timezone })에 도착합니다.
unsubscribed = 구독을 해지했습니다. 다시 받으려면 /subscribe 를 사용하세요.
not_subscribed = 이 채팅은 구독 중이 아닙니다. /subscribe 로 아침 다이제스트를 받으세요.
settings_title = 이 채팅의 설정
settings_show =
    구독: { $subscribed }
    시간: { $time } ({ $timezone })
    언어: { $language }
    형식: { $style }
    상위: { $top }
    최소 추천 수: { $minvotes }
    포함 키워드: { $include }
    제외 키워드: { $exclude }
    빈 날 알림: { $emptynote }
    일시 중지: { $paused }
    순서: { $rank }
    다이제스트: { $digest } (weekly 요일: { $weekday }, monthly: 매월 1일)
setting_changed = 완료: { $key }이(가) 이제 { $value }입니다.
unknown_setting = '{ $key }'라는 설정은 없습니다. 설정 항목: { $keys }.
bad_setting = '{ $value }'은(는) 올바른 { $key } 값이 아닙니다. { $valid }
valid_time = 24시간제 HH:MM 형식을 사용하세요 (예: 08:30).
valid_timezone = UTC, Europe/Berlin, Asia/Seoul 같은 IANA 시간대 이름을 사용하세요.
valid_language = en, ko 또는 Japanese 같은 언어 이름을 사용하세요.
valid_style = compact (목록 하나) 또는 cards (논문마다 메시지 하나)를 사용하세요.
valid_top = 1에서 50 사이의 정수를 사용하세요.
valid_minvotes = 0 이상의 정수를 사용하세요.
valid_keywords = 쉼표로 구분한 단어, 또는 지우려면 none 을 사용하세요.
valid_onoff = on 또는 off 를 사용하세요.
valid_digest = daily, weekly (정한 요일) 또는 monthly (매월 1일)를 사용하세요.
valid_weekday = mon, tue, wed, thu, fri, sat, sun 중 하나를 사용하세요.
weekly_title = 최근 7일 상위 논문 ({ $start } – { $end })
monthly_title = 지난 달 상위 논문 ({ $start } – { $end })
period_intro = { $start }부터 { $end }까지 소개된 논문 중 가장 많은 추천을 받은 { $count }편입니다.
yes = 예
no = 아니요
none = 없음
unknown_command = /{ $name } 명령은 모릅니다. /help 를 보세요.
text_hint = /help 를 보내면 사용법을 알려 드립니다.
source_down = 지금은 Hugging Face에 연결할 수 없습니다. 잠시 후 다시 시도하세요.
internal_error = 문제가 발생했습니다. 잠시 후 다시 시도하세요.
db_down = 지금은 데이터베이스를 사용할 수 없습니다. 잠시 후 다시 시도하세요.
slow_down = 요청이 너무 많습니다. { $seconds }초 후에 다시 시도하세요.
source_late = Hugging Face의 응답이 늦어 저장된 내용을 보여 드립니다. 새 데이터를 가져오는 중입니다.
empty_note = { $day }에는 이 채팅의 필터에 맞는 논문이 없습니다.
thread_gone_note = 다이제스트를 올리던 토픽이 더 이상 없어서, 앞으로는 이곳에 올립니다.
button_arxiv = arXiv
button_hf = Hugging Face
button_more = 그날의 논문 더 보기
button_subscribe = 구독
button_unsubscribe = 구독 해지
button_style = 형식: { $style }
button_pause = 일시 중지
button_next_page = 더 보기
no_more = 더 보여 드릴 것이 없습니다. /more 는 마지막 목록(/today, /date, /top, /search)을 이어 보여 줍니다.
showing = { $total }편 중 { $count }편 표시.
showing_range = { $total }편 중 { $first }–{ $last }번째 표시.
button_resume = 다시 시작
digest_empty = { $day }에는 소개된 논문이 없습니다. 주말과 공휴일은 비어 있습니다.
button_open_hf = Hugging Face에서 열기
discord_sorry = 죄송합니다. 문제가 발생했습니다. 잠시 후 다시 시도하세요.
discord_channel_server_only = 채널 옵션은 서버에서만 쓸 수 있습니다.
discord_channel_unresolved = Discord가 어떤 채널인지 알려 주지 않았습니다. 다시 골라 주세요.
discord_channel_type = 텍스트 채널, 포럼 또는 스레드를 골라 주세요.
discord_channel_missing = 이 서버에서 그 채널을 찾을 수 없습니다.
deactivated_notice = 채널 { $channel }에 더 이상 접근할 수 없어 (삭제되었거나 권한을 잃었습니다) Daily Papers 게시를 멈췄습니다. 채널 관리 권한이 있는 분이 제가 글을 쓸 수 있는 채널에서 /subscribe 를 실행해 주세요.
deactivated_notice_dm = { $notice } (서버: { $server })
button_summarise = 요약하기
summary_fallback =
    { $reason ->
        [no_model] 요약: 영어 원문 요약입니다 (요약 모델이 설정되어 있지 않습니다).
        [unknown_model] 요약: 영어 원문 요약입니다 (설정된 모델을 LLM 서비스가 알지 못합니다).
        [unreachable] 요약: 영어 원문 요약입니다 (요약 모델에 연결할 수 없습니다).
       *[other] 요약: 영어 원문 요약입니다 (요약 모델이 쓸 수 있는 답을 주지 않았습니다).
    }

label_votes = 추천
label_organization = 소속
label_authors = 저자
label_code = 코드
label_project = 프로젝트
label_project_page = 프로젝트 페이지
authors_more = … 외 { $count }명
label_keywords = 키워드

## Operator alerts (bot/alerts.py)

alert_prefix = ⚠️ dailypapers 알림: { $text }
alert_suppressed = (지난 한 시간 동안 같은 종류의 알림 { $count }건은 보내지 않았습니다.)
alert_deactivated = { $platform } 채팅 { $chat }에 반복해서 보내지 못해 게시를 멈췄습니다 ({ $reason }). `dailypapers channels list`에서 볼 수 있고, 채팅 관리자가 /subscribe 로 다시 구독할 수 있습니다.
alert_gave_up = { $platform } 채팅 { $chat }에 보낼 아침 게시를 포기했습니다: { $reason }. 다음 다이제스트는 평소대로 보냅니다. `dailypapers channels list`에서 마지막 오류를 볼 수 있습니다.
alert_gave_up_many = 아침 게시 { $count }건을 포기했습니다 ({ $chats }): { $reason }. 해당 채팅은 다음 다이제스트를 평소대로 받습니다.
alert_source_down = 아침 게시가 대기 중입니다: Hugging Face에 연결할 수 없습니다 ({ $reason }). 매 틱마다 다시 시도합니다.
alert_platform_down = { $platform } 연결이 { $since }부터 끊겨 있습니다 ({ $minutes }분 이상).
alert_exception = { $where }에서 예상하지 못한 오류: { $error }. 자세한 내용은 로그에 있습니다.

## Command descriptions (setMyCommands, Discord slash commands)

command_today = 가장 최근에 마감된 날의 논문
command_date = 특정 날짜의 논문: /date YYYY-MM-DD
command_top = 추천 많은 논문: /top [N] [week|month]
command_search = 논문 검색: /search 검색어
command_paper = 논문 카드: /paper ARXIV_ID
command_subscribe = 매일 아침 다이제스트 받기
command_unsubscribe = 아침 다이제스트 중지
command_settings = 이 채팅의 설정 보기/변경
command_help = 사용법

# personal ranking (issue 13)
valid_rank = votes (추천 많은 순), personal (👍/👎로 배운 이 채팅의 취향 순) 또는 reset (이 채팅의 평가 지우기)를 사용하세요.
rank_votes = 추천 많은 순
rank_personal = 개인화 (👍/👎로 학습)
today_intro_personal = { $day }에 Hugging Face에 소개된 논문 { $count }편 (👍/👎로 배운 이 채팅의 순서).
because_liked = “{ $title }”을(를) 좋아하셔서
like_usage = 어떤 논문인가요? /like ARXIV_ID 또는 /dislike ARXIV_ID (예: /like 2501.05366)
liked = 👍 기록했습니다: “{ $title }”. 이 채팅이 평가한 논문은 { $count }편입니다.
disliked = 👎 기록했습니다: “{ $title }”. 이 채팅이 평가한 논문은 { $count }편입니다.
rating_unchanged = “{ $title }”은(는) 이미 그렇게 평가하셨습니다.
ratings_title = 이 채팅의 평가
ratings_intro = 평가한 논문 { $count }편 (👍 { $likes }, 👎 { $dislikes }), 최근 순:
ratings_empty = 아직 평가가 없습니다. 논문 아래의 👍 또는 👎 (또는 /like ARXIV_ID)를 누르고 /settings rank personal 을 켜 보세요.
ratings_more = … 그리고 { $count }편 더.
rank_reset = 이 채팅의 평가 { $count }개를 지웠습니다.
foryou_usage = /foryou [N] 형식으로, N은 1에서 { $max } 사이입니다 (예: /foryou 5). '{ $value }'은(는) 올바르지 않습니다.
foryou_title = 추천 논문
foryou_intro = { $start }부터 { $end }까지 아직 평가하지 않은 논문 { $count }편 (관심 있을 만한 순).
foryou_cold = 아직 이 채팅의 취향을 모릅니다. 논문 몇 편에 👍 또는 👎 (또는 /like ARXIV_ID)를 누르거나 /settings include 로 단어 몇 개를 정해 주세요.
foryou_empty = { $start }부터 { $end }까지의 논문을 모두 평가하셨습니다.
button_like = 👍
button_dislike = 👎
rating_not_member = 그 채널의 구독자만 논문을 평가할 수 있습니다.
command_like = 논문에 👍: /like ARXIV_ID
command_dislike = 논문에 👎: /dislike ARXIV_ID
command_ratings = 이 채팅의 👍/👎
command_foryou = 좋아할 만한 평가 안 한 논문: /foryou [N]
