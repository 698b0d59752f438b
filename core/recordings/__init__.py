"""Human recordings of what members listen to (a resolution's summary first), in the languages the
committee lists; members choose theirs; synthetic speech is the labelled fallback."""
