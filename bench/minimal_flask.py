"""The ceiling: a Flask endpoint that only parses the JSON body and answers 200."""

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/webhook")
def webhook():
    payload = request.get_json(force=True, silent=True)
    if not isinstance(payload, dict):
        return jsonify({"ok": False}), 400
    return jsonify({"ok": True})
