# Copyright (c) mmcasp contributors. All rights reserved.
from .query_conv import query_conditioned_conv

__all__ = ['query_conditioned_conv']
