"""MATLAB rgb2ycbcr's constants (ITU-R BT.601, studio swing) for RGB in [0, 255]: the Y channel
that SR is evaluated on and that 1-channel models train on. One copy for the metrics, the data
policy, NIQE and the upscaler's chroma."""
RGB_TO_YCBCR = ((65.481, 128.553, 24.966),  # Y in [16, 235]
                (-37.797, -74.203, 112.0),  # Cb in [16, 240]
                (112.0, -93.786, -18.214))  # Cr in [16, 240]
YCBCR_OFFSET = (16.0, 128.0, 128.0)
Y_WEIGHTS = RGB_TO_YCBCR[0]
