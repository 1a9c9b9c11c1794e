; Highlighting for conduit policy files.

(comment) @comment
(string) @string
(number) @number
(date) @string.special
(address) @number
(service_spec) @constant.builtin
(level_operator) @operator
(mode) @constant.builtin
(any) @constant.builtin
(all) @constant.builtin
(remote_access) @attribute

; Keywords: every keyword of grammar/conduit.pest (the repository's test
; `editor_grammars` keeps this list complete).
[
  "acl-budget" "all" "any" "approval" "conduit" "contact" "description"
  "essential" "expires" "firewall" "flow" "from" "group" "host"
  "interface" "isolation" "level" "log" "mode" "name" "networks"
  "owner" "platform" "reason" "remote-access" "requires" "scope"
  "service" "sever" "sl" "supplier" "to" "waive" "zone" "zones"
] @keyword

; Declared names.
(owner_declaration name: (name) @type)
(service_declaration name: (name) @function)
(zone_declaration name: (name) @type)
(conduit_declaration name: (name) @module)
(flow_declaration name: (name) @function)
(firewall_declaration name: (name) @type)
(approval_declaration name: (name) @type)
(isolation_declaration name: (name) @type)
(host_declaration name: (name) @property)
(group_declaration name: (name) @property)

; Names in use.
(endpoint zone: (name) @type)
(endpoint member: (name) @property)
(waive_attribute code: (name) @constant)
(platform_attribute platform: (name) @constant.builtin)

["{" "}"] @punctuation.bracket
["," "."] @punctuation.delimiter
"=" @operator
