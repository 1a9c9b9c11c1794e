/**
 * Tree-sitter grammar for conduit policy files (`*.conduit`), for
 * highlighting and structural editing. The language's reference grammar is
 * `grammar/conduit.pest`; this one follows its structure and accepts the
 * same files. `KEYWORDS` lists the pest grammar's keywords (its `kw_*`
 * rules); the repository's test `editor_grammars` fails when they differ.
 *
 * Keywords are not reserved in conduit (a zone may be called `host`): with
 * `word`, tree-sitter reads a keyword only where the grammar expects one.
 */

const KEYWORDS = [
  'acl-budget', 'address', 'all', 'any', 'approval', 'conduit', 'contact',
  'control', 'description', 'essential', 'expires', 'firewall', 'flow', 'from', 'group', 'host',
  'interface', 'isolation', 'level', 'log', 'manage', 'mode', 'name', 'networks',
  'owner', 'platform', 'reason', 'remote-access', 'requires', 'scope',
  'service', 'sever', 'sl', 'supplier', 'to', 'waive', 'zone', 'zones',
];

/** A keyword; generating fails on a word that is not in `KEYWORDS`. */
function kw(word) {
  if (!KEYWORDS.includes(word)) {
    throw new Error(`'${word}' is not in KEYWORDS`);
  }
  return word;
}

function commaSep1(rule) {
  return seq(rule, repeat(seq(',', rule)));
}

function block(...attributes) {
  return seq('{', repeat(choice(...attributes)), '}');
}

module.exports = grammar({
  name: 'conduit',

  extras: $ => [/\s/, $.comment],

  word: $ => $.name,

  rules: {
    source_file: $ => repeat($._declaration),

    _declaration: $ => choice(
      $.owner_declaration,
      $.service_declaration,
      $.zone_declaration,
      $.conduit_declaration,
      $.firewall_declaration,
      $.approval_declaration,
      $.isolation_declaration,
    ),

    comment: _ => token(seq('#', /.*/)),

    name: _ => /[A-Za-z][A-Za-z0-9_-]*/,

    string: _ => token(seq('"', repeat(choice(/[^"\\\n]/, /\\[^\n]/)), '"')),

    number: _ => /[0-9]+(\.[0-9]+)?/,

    date: _ => /[0-9]+(-[0-9]+)+/,

    address: _ => /[0-9A-Fa-f]*[.:][0-9A-Fa-f.:\/]*/,

    service_spec: _ => token(/[A-Za-z][A-Za-z0-9]*\/[A-Za-z0-9-]+/),

    level_operator: _ => choice('<=', '>=', '<', '>', '='),

    _service_ref: $ => choice($.service_spec, $.name),

    // Declarations

    owner_declaration: $ => seq(
      kw('owner'), field('name', $.name),
      block($.name_attribute, $.contact_attribute),
    ),

    service_declaration: $ => seq(
      kw('service'), field('name', $.name), '=',
      commaSep1($._service_ref),
      optional($.remote_access),
    ),

    remote_access: _ => kw('remote-access'),

    zone_declaration: $ => seq(
      kw('zone'), field('name', $.name),
      block(
        $.level_attribute, $.owner_attribute, $.sl_attribute,
        $.description_attribute, $.supplier_attribute, $.networks_attribute,
        $.host_declaration, $.group_declaration,
      ),
    ),

    conduit_declaration: $ => seq(
      kw('conduit'), field('name', $.name),
      block(
        $.zones_attribute, $.owner_attribute, $.sl_attribute,
        $.mode_attribute, $.waive_attribute, $.flow_declaration,
      ),
    ),

    flow_declaration: $ => seq(
      kw('flow'), field('name', $.name),
      block(
        $.from_attribute, $.to_attribute, $.service_attribute,
        $.reason_attribute, $.owner_attribute, $.expires_attribute,
        $.log_attribute, $.essential_attribute, $.waive_attribute,
      ),
    ),

    firewall_declaration: $ => seq(
      kw('firewall'), field('name', $.name),
      block(
        $.platform_attribute, $.acl_budget_attribute, $.interface_attribute,
        $.manage_declaration, $.control_declaration,
      ),
    ),

    manage_declaration: $ => seq(
      kw('manage'), field('name', $.name),
      block(
        $.from_attribute, $.service_attribute, $.reason_attribute,
        $.owner_attribute, $.expires_attribute, $.log_attribute,
        $.waive_attribute,
      ),
    ),

    control_declaration: $ => seq(
      kw('control'), field('name', $.name),
      block(
        $.from_attribute, $.service_attribute, $.reason_attribute,
        $.owner_attribute, $.expires_attribute, $.log_attribute,
        $.waive_attribute,
      ),
    ),

    approval_declaration: $ => seq(
      kw('approval'), field('name', $.name),
      block($.scope_attribute, $.requires_attribute),
    ),

    isolation_declaration: $ => seq(
      kw('isolation'), field('name', $.name),
      block($.sever_attribute, $.reason_attribute),
    ),

    // Attributes

    name_attribute: $ => seq(kw('name'), $.string),
    contact_attribute: $ => seq(kw('contact'), $.string),
    level_attribute: $ => seq(kw('level'), $.number),
    owner_attribute: $ => seq(kw('owner'), field('owner', $.name)),
    sl_attribute: $ => seq(kw('sl'), $.number),
    description_attribute: $ => seq(kw('description'), $.string),
    supplier_attribute: _ => kw('supplier'),
    networks_attribute: $ => seq(kw('networks'), commaSep1(choice($.any, $.address))),
    any: _ => kw('any'),
    host_declaration: $ => seq(kw('host'), field('name', $.name), '=', commaSep1($.address)),
    group_declaration: $ => seq(
      kw('group'), field('name', $.name), '=',
      commaSep1(choice($.address, field('member', $.name))),
    ),
    zones_attribute: $ => seq(kw('zones'), commaSep1(field('zone', $.name))),
    mode_attribute: $ => seq(kw('mode'), $.mode),
    mode: _ => choice('enforce', 'monitor'),
    waive_attribute: $ => seq(kw('waive'), field('code', $.name), $.string),
    from_attribute: $ => seq(kw('from'), commaSep1($.endpoint)),
    to_attribute: $ => seq(kw('to'), commaSep1($.endpoint)),
    endpoint: $ => seq(field('zone', $.name), optional(seq('.', field('member', $.name)))),
    service_attribute: $ => seq(kw('service'), commaSep1($._service_ref)),
    reason_attribute: $ => seq(kw('reason'), $.string),
    expires_attribute: $ => seq(kw('expires'), $.date),
    log_attribute: _ => kw('log'),
    essential_attribute: _ => kw('essential'),
    platform_attribute: $ => seq(kw('platform'), field('platform', $.name)),
    acl_budget_attribute: $ => seq(kw('acl-budget'), $.number),
    interface_attribute: $ => seq(
      kw('interface'), $.string, '=', field('zone', $.name),
      optional(seq(kw('address'), commaSep1($.address))),
    ),
    scope_attribute: $ => seq(kw('scope'), choice(
      seq(kw('level'), $.level_operator, $.number),
      seq(kw('zone'), commaSep1(field('zone', $.name))),
      seq(kw('conduit'), commaSep1(field('conduit', $.name))),
      $.all,
    )),
    all: _ => kw('all'),
    requires_attribute: $ => seq(kw('requires'), commaSep1(field('owner', $.name))),
    sever_attribute: $ => seq(kw('sever'), commaSep1(field('zone', $.name))),
  },
});
