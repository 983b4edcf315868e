"""`keras-fip sparsify` (being written)."""


def add_parser(commands):
    parser = commands.add_parser("sparsify", help="(being written)")
    parser.set_defaults(run=lambda args: 2)
    return parser
