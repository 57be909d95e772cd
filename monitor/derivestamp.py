"""The stamp of the derivation (monitor.derive) that stored versions carry, in a module of its own:
`policywatch status` counts the versions read by older code without importing the extractors."""

# The version of the code that turns a page into its document and facts: monitor/extract.py,
# monitor/normalise.py, monitor/lifecycle.py, monitor/attachments.py and monitor/derive.py.
# BUMP IT in the same commit as any change that may alter what they produce for some page (a new
# rule, a changed regex, a different fold, a library upgrade that reads pages differently).
# Versions stamped with another number are re-derived from their raw inputs before they are
# compared with a new fetch, so the change never reaches subscribers as a text or expiry change;
# `policywatch reprocess` re-reads all of them at once. 0 marks versions stored before stamps existed.
# 2: the real-document extraction of #12 (文号 from the text, 落款 dates, more wordings);
# 3: a clause marker after a sentence end and spaces ("：　第一条") opens a clause (#17's fuzzer).
DERIVATION_VERSION = 3
