"""What a channel without buttons must remember to turn typed replies back into choices."""
