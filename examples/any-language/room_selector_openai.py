"""The room selector on the `openai` Python package, with nothing else: no OpenTelemetry, no Agent
Lightning. `OpenAI()` reads OPENAI_BASE_URL (the collector's gateway for the rollout) and
OPENAI_API_KEY from the environment the runner sets; the calls are recorded by the gateway. It
prints its answer and no reward: the grader (grader.ts) scores the recorded final answer.

    pip install openai
    npx agl train --command "python3 examples/any-language/room_selector_openai.py" \
        --grader examples/any-language/grader.ts \
        --dataset examples/room-selector/data/room_tasks.jsonl --val-fraction 0.5 \
        --prompt-file examples/any-language/baseline-prompt.txt
"""
import json
import os
import sys

from openai import OpenAI

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from room_selector import ROOM_TOOL, rooms_and_availability  # noqa: E402  (the tool, shared)

client = OpenAI()
model = os.environ.get("AGENT_MODEL", "gpt-4.1-nano")
task = json.load(sys.stdin)
messages = [{"role": "system", "content": "You are a scheduling assistant."},
            {"role": "user", "content": os.environ["AGL_PROMPT"]}]
message = client.chat.completions.create(model=model, messages=messages, tools=[ROOM_TOOL], tool_choice="auto", temperature=0).choices[0].message
if message.tool_calls:
    messages.append({"role": "assistant", "content": message.content,
                     "tool_calls": [call.model_dump() for call in message.tool_calls]})
    for call in message.tool_calls:
        args = json.loads(call.function.arguments)
        messages.append({"role": "tool", "tool_call_id": call.id,
                         "content": json.dumps(rooms_and_availability(args["date"], args["time"], args["duration_min"]))})
    message = client.chat.completions.create(model=model, messages=messages, temperature=0).choices[0].message
print(message.content)
