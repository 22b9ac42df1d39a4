"""The web chat: demo page, embeddable widget and socket.io proxy (``python -m web``),
plus the Rasa socket.io channel it needs (``channels.socketio``, loaded by Rasa only)."""
