#!/usr/bin/env bash
# Installs Sổ tay and runs the main job: the sandbox demo when no Telegram token is set,
# otherwise the real service (`sotay run`). Extra arguments go to the sotay command.
source "$(dirname "$0")/_env.sh"
if [ -z "${SOTAY_TELEGRAM_TOKEN:-}" ]; then
  exec sotay demo "$@"
fi
exec sotay run "$@"
