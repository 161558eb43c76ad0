"""The room selector of Agent Lightning's APO tutorial as a plain Python program: the standard
library only — no OpenTelemetry, no Agent Lightning, no OpenAI package.

    npx agl train --command "python3 examples/any-language/room_selector.py" \
        --dataset examples/room-selector/data/room_tasks.jsonl --val-fraction 0.5 \
        --prompt-file examples/any-language/baseline-prompt.txt

Per rollout the runner gives it the task as JSON on stdin, the prompt being tried (rendered for the
task) in AGL_PROMPT, and OPENAI_BASE_URL pointing at the collector's gateway, which records every
model call for the rollout. It prints its reward as its last line: {"reward": 1} or {"reward": 0}.
"""
import json
import os
import re
import sys
import urllib.request

ROOMS = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "room-selector", "data", "rooms.json")))["rooms"]

ROOM_TOOL = {
    "type": "function",
    "function": {
        "name": "get_rooms_and_availability",
        "description": "Return meeting rooms with capacity, equipment, accessibility, distance, and booked time slots.",
        "parameters": {
            "type": "object",
            "properties": {
                "date": {"type": "string", "description": "YYYY-MM-DD"},
                "time": {"type": "string", "description": "HH:MM 24h local"},
                "duration_min": {"type": "integer", "description": "Meeting duration minutes"},
            },
            "required": ["date", "time", "duration_min"],
        },
    },
}


def minutes(hhmm):
    return int(hhmm[:2]) * 60 + int(hhmm[3:5])


def rooms_and_availability(date, time, duration_min):
    """The tool: every room, with `free` telling whether it is free for the whole slot."""
    start, end = minutes(time), minutes(time) + int(duration_min)
    return {"rooms": [dict(room, free=all(slot["date"] != date or minutes(slot["time"]) >= end
                                          or minutes(slot["time"]) + slot["duration_min"] <= start
                                          for slot in room["booked"])) for room in ROOMS]}


def chat(messages, tools=None):
    """One chat completion over plain HTTP to OPENAI_BASE_URL (the gateway)."""
    body = {"model": os.environ.get("AGENT_MODEL", "gpt-4.1-nano"), "messages": messages, "temperature": 0}
    if tools:
        body["tools"], body["tool_choice"] = tools, "auto"
    request = urllib.request.Request(
        os.environ["OPENAI_BASE_URL"].rstrip("/") + "/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + os.environ.get("OPENAI_API_KEY", "")},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.load(response)["choices"][0]["message"]


def choice_of(answer):
    """The room an answer chooses: its `final_choice:` value, else the first room named."""
    if not answer:
        return None
    keyed = re.search(r"final_choice\s*:\s*(.+)", answer, re.IGNORECASE)
    if keyed:
        return keyed.group(1).strip()
    found = [(m.start(), name) for name in [r["id"] for r in ROOMS] + ["No Room"]
             for m in [re.search(r"\b%s\b" % re.escape(name), answer, re.IGNORECASE)] if m]
    return min(found)[1] if found else None


def main():
    task = json.load(sys.stdin)
    messages = [{"role": "system", "content": "You are a scheduling assistant."},
                {"role": "user", "content": os.environ["AGL_PROMPT"]}]
    message = chat(messages, [ROOM_TOOL])
    answer = message.get("content")
    if message.get("tool_calls"):
        messages.append({"role": "assistant", "content": answer, "tool_calls": message["tool_calls"]})
        for call in message["tool_calls"]:
            args = json.loads(call["function"]["arguments"])
            result = rooms_and_availability(args["date"], args["time"], args["duration_min"])
            messages.append({"role": "tool", "tool_call_id": call["id"], "content": json.dumps(result)})
        answer = chat(messages).get("content")
    print(answer)
    chosen = choice_of(answer)
    print(json.dumps({"reward": 1 if chosen and chosen.lower() == task["expected_choice"].lower() else 0}))


if __name__ == "__main__":
    main()
