"""Voice notes for members who listen rather than read: Vietnamese text → spoken form → speech →
mono OGG/Opus parts of at most three minutes, cached on disk. A leaf library: it imports nothing
else of the project.

    normalize.normalize(text, abbreviations=None) -> str       spoken form ("21-NQ/TW" → words)
    normalize.load_abbreviations(path) -> dict                  defaults + an operator's TSV file
    engines.make_speaker("espeak" | "gtts" | "auto" | "piper" | "package.module") -> Speaker
    engines.EngineConfig(engine, options, timeout, recheck_after).speaker()   (docs/voices.md: one-file engines)
    service.VoiceRenderer(speaker, cache_dir).render(text, voice=, speed=) -> list[VoiceNote]
    cache.prune(cache_dir, max_bytes=, keep_since=, protected=) -> PruneResult   least recently used out, in use kept
    cli.normalize_command(text), cli.say_command(text, output, engine, voice, speed)

`python -m voice normalize TEXT` / `python -m voice say TEXT -o FILE.ogg` try it from a shell.
"""
