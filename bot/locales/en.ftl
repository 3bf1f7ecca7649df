# The bot's own messages (en). Keys are the ids t() takes; see bot/i18n.py.

help =
    I deliver Hugging Face Daily Papers: the AI research papers the community featured each weekday.

    /today: the latest finished day's papers
    /date YYYY-MM-DD: papers of a given day (also: yesterday)
    /top [N] [week|month]: the most voted papers of the past week or month
    /search WORDS: search every paper in the archive
    /paper ARXIV_ID: one paper's full card (e.g. /paper 2501.05366)
    /subscribe: get the digest here every morning (admins)
    /unsubscribe: stop the morning digest (admins)
    /settings: show or change this chat's settings (admins)
    /like ID, /dislike ID: teach this chat what it wants to read first (👍/👎)
    /foryou [N]: unrated papers of the last two weeks you are most likely to like
    /ratings: this chat's 👍/👎
    /help: this message
settings_help =
    Change one setting with /settings KEY VALUE:
    time HH:MM (e.g. 08:30), timezone Area/City (e.g. Asia/Seoul), language en|ko|any language name, style compact|cards, top 1-50, minvotes 0+, include word, word (or 'none'), exclude word, word (or 'none'), emptynote on|off, paused on|off, digest daily|weekly|monthly, weekday mon..sun, rank votes|personal|reset
today_title = Daily Papers ({ $day })
today_intro =
    { $count ->
        [one] One paper featured on Hugging Face on { $day }.
       *[other] { $count } papers featured on Hugging Face on { $day }, most voted first.
    }
date_intro =
    { $count ->
        [one] One paper featured on Hugging Face on { $day }.
       *[other] { $count } papers featured on Hugging Face on { $day }.
    }
no_papers_day = No papers were featured on { $day }. Weekends and holidays are empty; try /today or another weekday.
day_in_future = { $day } is in the future. Try /today for the latest papers.
day_not_finished = { $day } is still being filled on Hugging Face; here is what is featured so far.
bad_date = '{ $value }' is not a date I understand. Use YYYY-MM-DD (e.g. /date 2025-01-10), 'today' or 'yesterday'.
date_usage = Which day? Use /date YYYY-MM-DD (e.g. /date 2025-01-10) or /date yesterday.
top_title =
    { $n ->
        [one] The top paper of the past { $period }
       *[other] Top { $n } papers of the past { $period }
    }
top_intro = The most voted papers featured between { $start } and { $end }.
top_empty = No papers were featured from { $start } to { $end }.
bad_top = Use /top [N] [week|month], with N from 1 to { $max } (e.g. /top 5 month). '{ $value }' is not valid.
period_week = 7 days
period_month = 30 days
search_usage = What should I look for? Use /search WORDS (e.g. /search diffusion).
search_too_long = That query is too long ({ $length } characters); keep it under { $max }.
search_title = Search: { $query }
search_intro =
    { $count ->
        [one] One paper matches '{ $query }'.
       *[other] { $count } papers match '{ $query }', best match first.
    }
search_empty = No stored paper matches '{ $query }'. Try fewer or other words.
search_empty_archive = The archive holds no papers yet, so there is nothing to search. It fills as days are fetched (operators: dailypapers fetch --since YYYY-MM-DD).
paper_usage = Which paper? Use /paper ARXIV_ID (e.g. /paper 2501.05366).
bad_paper_id = '{ $value }' is not an arXiv id. Ids look like 2501.05366 (an arxiv.org or huggingface.co/papers link works too).
paper_not_found = I could not find paper { $arxiv_id } on Hugging Face.
not_admin = Sorry, only this chat's admins can change its subscription and settings. Ask an admin to do it.
subscribed = Subscribed. The digest will arrive every day at { $time } ({ $timezone }). Change it with /settings.
already_subscribed = This chat is already subscribed: the digest arrives at { $time } ({ $timezone }).
unsubscribed = Unsubscribed. No more morning digests here; /subscribe to come back.
not_subscribed = This chat is not subscribed. Use /subscribe to get the morning digest.
settings_title = Settings for this chat
settings_show =
    Subscribed: { $subscribed }
    Time: { $time } ({ $timezone })
    Language: { $language }
    Style: { $style }
    Top: { $top }
    Minimum votes: { $minvotes }
    Include: { $include }
    Exclude: { $exclude }
    Note on empty days: { $emptynote }
    Paused: { $paused }
    Order: { $rank }
    Digest: { $digest } (weekly on { $weekday }, monthly on the 1st)
setting_changed = Done: { $key } is now { $value }.
unknown_setting = There is no setting '{ $key }'. Settings: { $keys }.
bad_setting = '{ $value }' is not a valid { $key }. { $valid }
valid_time = Use HH:MM in 24-hour time, e.g. 08:30.
valid_timezone = Use an IANA timezone name such as UTC, Europe/Berlin or Asia/Seoul.
valid_language = Use en, ko or a language name such as Japanese.
valid_style = Use compact (one list) or cards (one message per paper).
valid_top = Use a whole number from 1 to 50.
valid_minvotes = Use a whole number from 0 up.
valid_keywords = Use words separated by commas, or 'none' to clear.
valid_onoff = Use on or off.
valid_digest = Use daily, weekly (on the chosen weekday) or monthly (on the 1st).
valid_weekday = Use mon, tue, wed, thu, fri, sat or sun.
weekly_title = Top papers of the week ({ $start } – { $end })
monthly_title = Top papers of the month ({ $start } – { $end })
period_intro =
    { $count ->
        [one] The most voted paper featured between { $start } and { $end }.
       *[other] The { $count } most voted papers featured between { $start } and { $end }.
    }
yes = yes
no = no
none = none
unknown_command = I don't know /{ $name }. Try /help.
text_hint = Send /help to see what I can do.
source_down = Hugging Face could not be reached right now. Please try again in a while.
internal_error = Something went wrong on my side. Please try again later.
db_down = The database is unavailable right now. Please try again shortly.
slow_down =
    { $seconds ->
        [one] Please slow down: that was a lot of requests. Try again in { $seconds } second.
       *[other] Please slow down: that was a lot of requests. Try again in { $seconds } seconds.
    }
source_late = Hugging Face is slow to answer: this is what I had stored; fresh data is on its way.
empty_note = No papers for { $day } matched this chat's filters.
thread_gone_note = The topic this chat's digest was set to post in no longer exists, so it is posted here from now on.
button_arxiv = arXiv
button_hf = Hugging Face
button_more = More of the day
button_subscribe = Subscribe
button_unsubscribe = Unsubscribe
button_style = Style: { $style }
button_pause = Pause
button_next_page = More
no_more = Nothing more to show: /more continues the last list (/today, /date, /top, /search).
showing =
    { $count ->
        [one] Showing 1 of { $total }.
       *[other] Showing { $count } of { $total }.
    }
showing_range = Showing { $first }–{ $last } of { $total }.
button_resume = Resume
digest_empty = No papers were featured on { $day }. Weekends and holidays are empty.
button_open_hf = Open on Hugging Face
discord_sorry = Sorry, something went wrong on my side. Please try again in a minute.
discord_channel_server_only = The channel option works only in a server.
discord_channel_unresolved = Discord did not tell me which channel that is. Please pick it again.
discord_channel_type = Please pick a text channel, a forum or a thread.
discord_channel_missing = I can't find that channel in this server.
deactivated_notice = I stopped posting Daily Papers to channel { $channel }: I can no longer reach it (it was deleted, or I lost access). Someone with Manage Channels can run /subscribe in a channel where I may post.
deactivated_notice_dm = { $notice } (server: { $server })
button_summarise = Summarise
summary_fallback =
    { $reason ->
        [no_model] Summary: the original English one (no summary model is configured).
        [unknown_model] Summary: the original English one (the configured model is unknown to the LLM service).
        [unreachable] Summary: the original English one (the summary model could not be reached).
       *[other] Summary: the original English one (the summary model gave no usable answer).
    }

label_votes = Votes
label_organization = Organization
label_authors = Authors
label_code = Code
label_project = Project
label_project_page = Project page
authors_more = … +{ $count } more
label_keywords = Keywords

## Operator alerts (bot/alerts.py)

alert_prefix = ⚠️ dailypapers alert: { $text }
alert_suppressed = ({ $count } more of this kind in the last hour were not sent.)
alert_deactivated = stopped posting to { $platform } chat { $chat } after repeated failures ({ $reason }). `dailypapers channels list` shows it; a chat admin can /subscribe again.
alert_gave_up = a morning post to { $platform } chat { $chat } was given up: { $reason }. The chat gets its next digest as usual; `dailypapers channels list` shows its last error.
alert_gave_up_many = { $count } morning posts were given up ({ $chats }): { $reason }. Those chats get their next digest as usual.
alert_source_down = the morning post is waiting: Hugging Face could not be reached ({ $reason }). It is retried at every tick.
alert_platform_down = { $platform } has been disconnected since { $since } (over { $minutes } min).
alert_exception = an unexpected error in { $where }: { $error }. The traceback is in the log.

## Command descriptions (setMyCommands, Discord slash commands)

command_today = The latest finished day's papers
command_date = Papers of a given day: /date YYYY-MM-DD
command_top = Most voted papers: /top [N] [week|month]
command_search = Search the archive: /search WORDS
command_paper = One paper's card: /paper ARXIV_ID
command_subscribe = Get the digest here every morning
command_unsubscribe = Stop the morning digest
command_settings = Show or change this chat's settings
command_help = What I can do

# personal ranking (issue 13)
valid_rank = Use votes (most voted first), personal (what this chat likes first, learnt from 👍/👎) or reset (forget this chat's ratings).
rank_votes = most voted first
rank_personal = personal (learnt from 👍/👎)
today_intro_personal =
    { $count ->
        [one] One paper featured on Hugging Face on { $day }.
       *[other] { $count } papers featured on Hugging Face on { $day }, in this chat's order (learnt from 👍/👎).
    }
because_liked = Because you liked “{ $title }”
like_usage = Which paper? Use /like ARXIV_ID or /dislike ARXIV_ID (e.g. /like 2501.05366).
liked =
    { $count ->
        [one] 👍 Noted: “{ $title }”. This chat has one rated paper.
       *[other] 👍 Noted: “{ $title }”. This chat has { $count } rated papers.
    }
disliked =
    { $count ->
        [one] 👎 Noted: “{ $title }”. This chat has one rated paper.
       *[other] 👎 Noted: “{ $title }”. This chat has { $count } rated papers.
    }
rating_unchanged = You had already rated “{ $title }” that way.
ratings_title = This chat's ratings
ratings_intro =
    { $count ->
        [one] One rated paper ({ $likes } 👍, { $dislikes } 👎):
       *[other] { $count } rated papers ({ $likes } 👍, { $dislikes } 👎), latest first:
    }
ratings_empty = No ratings yet. Press 👍 or 👎 under a paper (or /like ARXIV_ID) and turn on /settings rank personal to see what this chat likes first.
ratings_more =
    { $count ->
        [one] … and one more.
       *[other] … and { $count } more.
    }
rank_reset =
    { $count ->
        [one] Forgot this chat's one rating.
       *[other] Forgot this chat's { $count } ratings.
    }
foryou_usage = Use /foryou [N], with N from 1 to { $max } (e.g. /foryou 5). '{ $value }' is not valid.
foryou_title = For you
foryou_intro =
    { $count ->
        [one] One paper from { $start } to { $end } you have not rated, most likely to interest this chat.
       *[other] { $count } papers from { $start } to { $end } you have not rated, most likely to interest this chat first.
    }
foryou_cold = I don't know this chat's taste yet. Press 👍 or 👎 under a few papers (or /like ARXIV_ID), or set /settings include with a few words.
foryou_empty = You have rated every paper from { $start } to { $end }.
button_like = 👍
button_dislike = 👎
rating_not_member = Only members of that channel can rate its papers.
command_like = 👍 a paper: /like ARXIV_ID
command_dislike = 👎 a paper: /dislike ARXIV_ID
command_ratings = This chat's 👍/👎
command_foryou = Unrated papers you are most likely to like: /foryou [N]
