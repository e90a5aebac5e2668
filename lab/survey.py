"""placeholder"""
TOP_URL_ENV = "FTLAB_TOP_PYPI_URL"


def survey_command(args, executor_options):
    raise NotImplementedError
