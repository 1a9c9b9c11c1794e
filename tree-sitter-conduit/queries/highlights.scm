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
(remote_access) @keyword

; Keywords: every keyword of grammar/conduit.pest (the repository's test
; `editor_grammars` keeps this list complete).
[
  "acl-budget" "address" "approval" "conduit" "contact" "control"
  "description" "expires" "firewall" "flow" "from" "group" "host"
  "interface" "isolation" "level" "manage" "mode" "name" "networks"
  "owner" "platform" "reason" "requires" "scope"
  "service" "sever" "sl" "to" "waive" "zone" "zones"
] @keyword

; Keywords that make up a node on their own.
(supplier_attribute) @keyword
(log_attribute) @keyword
(essential_attribute) @keyword

; Declared names.
(owner_declaration name: (name) @type)
(service_declaration name: (name) @function)
(zone_declaration name: (name) @type)
(conduit_declaration name: (name) @module)
(flow_declaration name: (name) @function)
(firewall_declaration name: (name) @type)
(manage_declaration name: (name) @function)
(control_declaration name: (name) @function)
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
