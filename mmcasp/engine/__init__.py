# Copyright (c) mmcasp contributors. All rights reserved.
__all__ = []
