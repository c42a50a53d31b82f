import type { ReferenceImage } from '../../editor/imagePrompt.ts';
import { Icon } from '../ui/Icon.tsx';
import { Slider } from '../ui/Slider.tsx';

interface ReferenceImageRowProps {
  image: ReferenceImage;
  index: number;
  onScale(scale: number): void;
  onRemove(): void;
}

/** One reference image: its thumbnail, its own scale and a remove button. */
export function ReferenceImageRow({ image, index, onScale, onRemove }: ReferenceImageRowProps) {
  return (
    <li className="ref-image" data-testid="reference-image">
      <img className="ref-thumb" src={image.url} alt={`Reference image ${index + 1}: ${image.name}`} title={image.name} />
      <div className="ref-body">
        <Slider
          label={`Image ${index + 1} scale`}
          value={image.scale}
          min={0}
          max={2}
          step={0.05}
          format={(v) => v.toFixed(2)}
          title="How strongly this image steers the result: 1 for the image alone, about 0.5 beside a text prompt, 0 = no effect"
          onChange={onScale}
        />
      </div>
      <button className="ghost icon-only" onClick={onRemove} aria-label={`Remove reference image ${index + 1}`} title="Remove this reference image" data-testid="reference-remove">
        <Icon name="clear" />
      </button>
    </li>
  );
}
