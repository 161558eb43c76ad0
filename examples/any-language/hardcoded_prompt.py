"""An agent whose prompt is hard-coded and which never reads a resource: plain Python, the standard
library only. Trained with the gateway's prompt application, the collector puts the prompt being
tried in place of its system message in every model call, rendered with the task's fields:

    npx agl train --command "python3 examples/any-language/hardcoded_prompt.py" --gateway-prompt system \
        --grader examples/any-language/grader.ts --dataset examples/room-selector/data/room_tasks.jsonl \
        --val-fraction 0.5 --prompt-file examples/any-language/baseline-prompt.txt

The gateway renders the template as AGL_PROMPT is rendered: with the task's own fields, else with
those of its `task_input` (Agent Lightning's layout, as in room_tasks.jsonl). With
`--gateway-prompt marker` it replaces `{{agl.prompt}}` wherever the agent's messages hold it instead.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from room_selector import ROOM_TOOL, chat, rooms_and_availability  # noqa: E402  (the tool and a plain HTTP chat call)

task = json.load(sys.stdin)
request = task.get("task_input", task)
messages = [
    {"role": "system", "content": "You are a scheduling assistant."},  # the hard-coded prompt
    {"role": "user", "content": "Meeting on %(date)s at %(time)s, %(duration_min)s minutes, %(attendees)s people; needs %(needs)s; accessible: %(accessible_required)s." % dict(request, needs=", ".join(request["needs"]) or "none")},
]
message = chat(messages, [ROOM_TOOL])
if message.get("tool_calls"):
    messages.append({"role": "assistant", "content": message.get("content"), "tool_calls": message["tool_calls"]})
    for call in message["tool_calls"]:
        args = json.loads(call["function"]["arguments"])
        messages.append({"role": "tool", "tool_call_id": call["id"], "content": json.dumps(rooms_and_availability(args["date"], args["time"], args["duration_min"]))})
    message = chat(messages)
print(message.get("content"))
