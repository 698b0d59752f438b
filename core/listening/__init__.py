"""What members listen to: the languages listed, the recordings of a text in each, and which
recording a member hears. It knows no document: the resolutions domain (publishing) and the
recordings workflow (core.recordings: record, name a reader, remind) both build on it."""
