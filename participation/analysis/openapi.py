# ruff: noqa: E501  (generated literal; replaced by endpoint() declarations later)
"""The analysis endpoints in the OpenAPI document (merged in by ``extend``).

Hand-written until the analysis endpoints are declared with ``api.endpoint`` and pydantic answer models.
"""

from __future__ import annotations

PATHS = {'/rounds/{round_id}/analysis': {'get': {'operationId': 'getRoundAnalysis',
                                         'summary': 'Opinion groups, consensus and divisive items, '
                                                    'representativeness',
                                         'parameters': [{'name': 'round_id',
                                                         'in': 'path',
                                                         'required': True,
                                                         'schema': {'type': 'integer'}},
                                                        {'name': 'verified',
                                                         'in': 'query',
                                                         'required': False,
                                                         'schema': {'type': 'string', 'enum': ['0', '1']},
                                                         'description': '1: only participants who redeemed '
                                                                        'an invitation code'}],
                                         'responses': {'200': {'description': 'The analysis',
                                                               'content': {'application/json': {'schema': {'$ref': '#/components/schemas/RoundAnalysis'}}}},
                                                       '403': {'description': 'Results are hidden until the '
                                                                              'round closes (code '
                                                                              'results_hidden)',
                                                               'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},
                                                       '404': {'description': 'Not found',
                                                               'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}}}}},
 '/rounds/{round_id}/analysis/membership': {'get': {'operationId': 'getRoundAnalysisMembership',
                                                    'summary': "Each participant's opinion group, by "
                                                               'pseudonym (administrators only)',
                                                    'parameters': [{'name': 'round_id',
                                                                    'in': 'path',
                                                                    'required': True,
                                                                    'schema': {'type': 'integer'}}],
                                                    'responses': {'200': {'description': 'Participants and '
                                                                                         'their groups',
                                                                          'content': {'application/json': {'schema': {'$ref': '#/components/schemas/AnalysisMembership'}}}},
                                                                  '401': {'description': 'Not logged in '
                                                                                         '(not_logged_in)',
                                                                          'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},
                                                                  '403': {'description': 'Not an '
                                                                                         'administrator '
                                                                                         '(forbidden)',
                                                                          'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},
                                                                  '404': {'description': 'Not found',
                                                                          'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}}}}}}

SCHEMAS = {'RoundAnalysis': {'type': 'object',
                   'description': 'Opinion groups, consensus, division and representativeness of a round '
                                  '(agreement ratings; see the README, section Analysis)',
                   'properties': {'round': {'type': 'integer'},
                                  'verified_only': {'type': 'boolean'},
                                  'participants': {'type': 'integer',
                                                   'description': 'Accounts and offline ballots with a '
                                                                  'rating'},
                                  'included': {'type': 'integer',
                                               'description': 'Participants with enough ratings for the '
                                                              'grouping'},
                                  'ungrouped': {'type': 'integer'},
                                  'silhouette': {'type': ['number', 'null']},
                                  'parameters': {'type': 'object',
                                                 'properties': {'k': {'type': ['integer', 'null']},
                                                                'seed': {'type': 'integer'},
                                                                'min_ratings': {'type': 'integer'},
                                                                'n_init': {'type': 'integer'},
                                                                'versions': {'type': 'object',
                                                                             'additionalProperties': {'type': 'string'}}},
                                                 'required': ['k', 'seed', 'min_ratings', 'versions']},
                                  'groups': {'type': 'array',
                                             'items': {'type': 'object',
                                                       'properties': {'id': {'type': 'integer'},
                                                                      'size': {'type': 'integer'},
                                                                      'distinguishing': {'type': 'array',
                                                                                         'items': {'type': 'object'}}},
                                                       'required': ['id', 'size']}},
                                  'items': {'type': 'array',
                                            'items': {'type': 'object',
                                                      'properties': {'key': {'type': 'string'},
                                                                     'share_agree': {'type': ['number',
                                                                                              'null']},
                                                                     'ci': {'type': ['array', 'null'],
                                                                            'items': {'type': 'number'}},
                                                                     'consensus': {'type': 'boolean'},
                                                                     'divisive': {'type': ['number', 'null'],
                                                                                  'description': 'Largest '
                                                                                                 'difference '
                                                                                                 'of share '
                                                                                                 'agree '
                                                                                                 'between '
                                                                                                 'groups'},
                                                                     'uncertain': {'type': 'boolean'},
                                                                     'groups': {'type': 'object',
                                                                                'additionalProperties': {'type': ['number',
                                                                                                                  'null']}},
                                                                     'weighted_share_agree': {'type': ['number',
                                                                                                       'null']}},
                                                      'required': ['key',
                                                                   'share_agree',
                                                                   'ci',
                                                                   'consensus',
                                                                   'divisive',
                                                                   'uncertain',
                                                                   'groups']}},
                                  'districts': {'type': 'array',
                                                'items': {'type': 'object',
                                                          'properties': {'district': {'type': 'string'},
                                                                         'participants': {'type': ['integer',
                                                                                                   'null'],
                                                                                          'description': 'null: '
                                                                                                         'fewer '
                                                                                                         'than '
                                                                                                         '5'},
                                                                         'population_share': {'type': ['number',
                                                                                                       'null']},
                                                                         'sample_share': {'type': ['number',
                                                                                                   'null']}},
                                                          'required': ['district',
                                                                       'participants',
                                                                       'population_share',
                                                                       'sample_share']}},
                                  'district_not_stated': {'type': ['integer', 'null']},
                                  'age_brackets': {'type': 'array', 'items': {'type': 'object'}},
                                  'population': {'type': 'object'},
                                  'weighting': {'type': 'object'}},
                   'required': ['participants', 'included', 'parameters', 'groups', 'items', 'districts']},
 'AnalysisMembership': {'type': 'object',
                        'properties': {'round': {'type': 'integer'},
                                       'participants': {'type': 'array',
                                                        'items': {'type': 'object',
                                                                  'properties': {'participant': {'type': 'string',
                                                                                                 'description': 'Round '
                                                                                                                'pseudonym '
                                                                                                                '(accounts) '
                                                                                                                'or '
                                                                                                                'ballot:<id> '
                                                                                                                '(offline '
                                                                                                                'ballots)'},
                                                                                 'group': {'type': ['integer',
                                                                                                    'null']}},
                                                                  'required': ['participant', 'group']}}},
                        'required': ['participants']}}


def extend(spec: dict) -> dict:
    spec["paths"].update(PATHS)
    spec["components"]["schemas"].update(SCHEMAS)
    return spec
